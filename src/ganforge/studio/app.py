"""The web studio: a thin gradio page over :class:`ganforge.studio.service.Studio`.

    ganforge studio runs/ --port 7860          # then open http://127.0.0.1:7860

Two tabs.  **Generate** (generator runs): pick a run and a checkpoint, a
seed, a truncation (and a class for conditional runs); "Generate" draws a
grid, "Interpolate" a GIF walk between two seeds.  **Translate** (pix2pix /
CycleGAN runs): pick a run, a checkpoint and a direction, upload an image or
draw a sketch, and see the input as the model sees it next to its
translation.  Every file downloads with its provenance.  Every input is
checked by the service (plain, unit-tested functions); this file only wires widgets.

Safe by default: binds 127.0.0.1, serves only pictures generated from runs
inside the given folder, caps images per request and request size, loads
weights with safetensors (never a pickle), and makes no network calls: gradio
analytics and Hugging Face telemetry are off and the theme uses system fonts.
Needs the optional extra: ``pip install 'ganforge[studio]'``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from ganforge.errors import GanforgeError
from ganforge.studio.bodylimit import MAX_BODY_BYTES, BodyLimit
from ganforge.studio.service import GENERATOR, MAX_FPS, MAX_IMAGES, MAX_SEED, MAX_STEPS, TRANSLATOR, Studio

log = logging.getLogger("ganforge.studio")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _offline_env() -> None:
    # Before gradio is imported: no analytics, no version check, no hub telemetry.
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("GRADIO_SSR_MODE", "False")


def _import_gradio():
    _offline_env()
    try:
        import gradio as gr
    except ImportError:
        raise GanforgeError("The studio needs gradio; install it with `pip install 'ganforge[studio]'`.") from None
    return gr


def _failure(gr, exc: Exception):
    """The page's one-line message for a failed request: the error's sentence, or a pointer to the log."""
    if isinstance(exc, GanforgeError):
        return gr.Error(str(exc))
    log.exception("studio request failed")
    return gr.Error(f"Something went wrong ({exc.__class__.__name__}); see the server log.")


def build_ui(studio: Studio):
    """The gradio Blocks of the studio (not launched): the Generate tab and the Translate tab."""
    gr = _import_gradio()
    with gr.Blocks(title="ganforge studio", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        gr.Markdown(f"# ganforge studio\nRuns in `{studio.root.name}/` · up to {MAX_IMAGES} images per request")
        with gr.Tab("Generate", elem_id="generate-tab"):
            _generate_tab(gr, demo, studio)
        with gr.Tab("Translate", elem_id="translate-tab"):
            _translate_tab(gr, demo, studio)
    return demo


def _run_picker(gr, studio: Studio, kind: str, describe):
    """The run / checkpoint / refresh handlers a tab shares: ``describe(run, checkpoint)`` returns
    (the update of the tab's run-specific widget, the info line) for runs of ``kind``."""

    def on_run(run):
        try:
            checkpoints = studio.list_checkpoints(run)
            widget, text = describe(run, "latest")
        except Exception as exc:  # noqa: BLE001 - every failure becomes a UI message
            raise _failure(gr, exc) from None
        return gr.update(choices=checkpoints, value="latest"), widget, text

    def on_checkpoint(run, checkpoint):
        try:
            return describe(run, checkpoint)
        except Exception as exc:  # noqa: BLE001
            raise _failure(gr, exc) from None

    def on_refresh():
        runs = studio.list_runs(kind)
        return gr.update(choices=runs, value=runs[0] if runs else None)

    return on_run, on_checkpoint, on_refresh


def _generate_tab(gr, demo, studio: Studio) -> None:
    """Generator runs: samples grid and interpolation walk."""

    def class_update(run, checkpoint):
        info = studio.run_info(run, checkpoint)
        text = (f"**{info['run']}** · checkpoint `{info['checkpoint']}` · step {info['step']} · "
                f"images {'x'.join(map(str, info['shape'][1:]))} ({info['shape'][0]} channels) · z_dim {info['z_dim']}")
        if info["num_classes"]:
            choices = [(name, i) for i, name in enumerate(info["class_names"])]
            return gr.update(choices=choices, value=0, visible=True), text + f" · {info['num_classes']} classes"
        return gr.update(choices=[], value=None, visible=False), text

    on_run, on_checkpoint, on_refresh = _run_picker(gr, studio, GENERATOR, class_update)

    def on_generate(run, checkpoint, seed, truncation, klass, n):
        try:
            path = studio.generate(run, checkpoint, seed=seed, n=n, truncation=truncation, label=klass)
        except Exception as exc:  # noqa: BLE001
            raise _failure(gr, exc) from None
        return str(path), str(path)

    def on_interpolate(run, checkpoint, seed, truncation, klass, seed_b, steps, fps):
        try:
            path = studio.interpolate(run, checkpoint, seed_a=seed, seed_b=seed_b, steps=steps,
                                      truncation=truncation, label=klass, fps=fps)
        except Exception as exc:  # noqa: BLE001
            raise _failure(gr, exc) from None
        return str(path), str(path)

    runs = studio.list_runs()
    if not runs:
        gr.Markdown("**No trained generator runs found in this folder.** Train one with `ganforge train`.")
    with gr.Row():
        run = gr.Dropdown(choices=runs, value=runs[0] if runs else None, label="Run", elem_id="run", scale=3)
        checkpoint = gr.Dropdown(choices=["latest"], value="latest", label="Checkpoint", elem_id="checkpoint", scale=2)
        refresh = gr.Button("Refresh runs", scale=1)
    info = gr.Markdown(elem_id="info")
    with gr.Row():
        seed = gr.Slider(0, MAX_SEED, value=0, step=1, label="Seed", elem_id="seed")
        truncation = gr.Slider(0, 4, value=0, step=0.05, label="Truncation (0 = off; smaller = cleaner, less varied)",
                               elem_id="truncation")
        klass = gr.Dropdown(choices=[], value=None, label="Class", visible=False, elem_id="class")
    with gr.Tab("Samples"):
        n = gr.Slider(1, MAX_IMAGES, value=16, step=1, label="Images", elem_id="count")
        generate = gr.Button("Generate", variant="primary", elem_id="generate")
        grid = gr.Image(type="filepath", format="png", label="Samples", elem_id="grid", interactive=False)
        grid_file = gr.File(label="Download PNG (with provenance)", elem_id="grid-file", interactive=False)
    with gr.Tab("Interpolate"):
        with gr.Row():
            seed_b = gr.Slider(0, MAX_SEED, value=1, step=1, label="To seed", elem_id="seed-b")
            steps = gr.Slider(2, MAX_STEPS, value=30, step=1, label="Frames", elem_id="steps")
            fps = gr.Slider(1, MAX_FPS, value=15, step=1, label="Frames per second", elem_id="fps")
        walk = gr.Button("Interpolate", variant="primary", elem_id="interpolate")
        gif = gr.Image(type="filepath", format="gif", label="Walk", elem_id="walk", interactive=False)
        gif_file = gr.File(label="Download GIF", elem_id="walk-file", interactive=False)

    run.change(on_run, [run], [checkpoint, klass, info])
    checkpoint.change(on_checkpoint, [run, checkpoint], [klass, info])
    refresh.click(on_refresh, None, [run])
    generate.click(on_generate, [run, checkpoint, seed, truncation, klass, n], [grid, grid_file])
    walk.click(on_interpolate, [run, checkpoint, seed, truncation, klass, seed_b, steps, fps], [gif, gif_file])
    if runs:
        demo.load(on_run, [run], [checkpoint, klass, info])


SKETCH_CANVAS = (256, 256)  # drawn at this size, then shrunk to the model's (32 or 64 px) like any upload


def _translate_tab(gr, demo, studio: Studio) -> None:
    """Translation runs (pix2pix / CycleGAN): upload an image or draw a sketch, see it as the model does next
    to its translation, download the translated PNG with provenance."""

    def describe(run, checkpoint):
        info = studio.translator_info(run, checkpoint)
        text = (f"**{info['run']}** · {info['translator']} · checkpoint `{info['checkpoint']}` · step {info['step']} · "
                f"images {info['size']}x{info['size']} ({info['channels']} channels) · {' and '.join(info['directions'])}")
        both_ways = len(info["directions"]) > 1  # only CycleGAN asks which way
        return gr.update(choices=info["directions"], value=info["directions"][0], visible=both_ways), text

    on_run, on_checkpoint, on_refresh = _run_picker(gr, studio, TRANSLATOR, describe)

    def on_translate(run, checkpoint, direction, image):
        try:
            result = studio.translate(run, checkpoint, image=image, direction=direction)
        except Exception as exc:  # noqa: BLE001
            raise _failure(gr, exc) from None
        return str(result.input_view), str(result.output_view), str(result.download)

    runs = studio.list_runs(TRANSLATOR)
    if not runs:
        gr.Markdown("**No translation runs found in this folder.** Train one with "
                    "`ganforge train --preset pix2pix-edges2fashion`.")
    with gr.Row():
        run = gr.Dropdown(choices=runs, value=runs[0] if runs else None, label="Translation run", elem_id="t-run", scale=3)
        checkpoint = gr.Dropdown(choices=["latest"], value="latest", label="Checkpoint", elem_id="t-checkpoint", scale=2)
        direction = gr.Radio(choices=["AtoB"], value="AtoB", label="Direction", visible=False, elem_id="t-direction",
                             scale=2)
        refresh = gr.Button("Refresh runs", scale=1)
    info = gr.Markdown(elem_id="t-info")
    with gr.Tab("Upload"):
        upload = gr.File(label="Image to translate (PNG or JPEG)", file_types=["image"], type="filepath",
                         elem_id="t-upload")  # a file, not gr.Image: gradio hands it over undecoded, the service checks it
        translate = gr.Button("Translate", variant="primary", elem_id="translate")
    with gr.Tab("Sketch"):
        gr.Markdown("Pick the brush (left) and draw black lines on white for an edges → picture model; "
                    "the drawing is shrunk to the model's size.")
        sketch = gr.Sketchpad(type="numpy", image_mode="RGB", format="png", canvas_size=SKETCH_CANVAS, layers=False,
                              transforms=(), brush=gr.Brush(colors=["#000000"], color_mode="fixed", default_size=6),
                              label="Sketch", elem_id="t-sketch")
        translate_sketch = gr.Button("Translate sketch", variant="primary", elem_id="translate-sketch")
    with gr.Row():
        seen = gr.Image(type="filepath", format="png", label="Input as the model sees it", elem_id="t-input",
                        interactive=False)
        output = gr.Image(type="filepath", format="png", label="Translation", elem_id="t-output", interactive=False)
    download = gr.File(label="Download translated PNG (with provenance)", elem_id="t-file", interactive=False)

    run.change(on_run, [run], [checkpoint, direction, info])
    checkpoint.change(on_checkpoint, [run, checkpoint], [direction, info])
    refresh.click(on_refresh, None, [run])
    translate.click(on_translate, [run, checkpoint, direction, upload], [seen, output, download])
    translate_sketch.click(on_translate, [run, checkpoint, direction, sketch], [seen, output, download])
    if runs:
        demo.load(on_run, [run], [checkpoint, direction, info])


def build_app(studio: Studio):
    """A FastAPI app with the studio mounted at / and the request-size limit in front."""
    gr = _import_gradio()
    from fastapi import FastAPI

    demo = build_ui(studio).queue(default_concurrency_limit=1, max_size=16)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    theme = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                              font_mono=["ui-monospace", "monospace"])  # system fonts: no Google Fonts request
    app = gr.mount_gradio_app(app, demo, path="/", allowed_paths=[str(studio.out_dir)], show_error=True,
                              max_file_size=MAX_BODY_BYTES, ssr_mode=False, mcp_server=False, theme=theme,
                              footer_links=[])
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    return app


class Server:
    """A running studio (uvicorn in a thread): ``.url``, ``.stop()``."""

    def __init__(self, root: Path | str, host: str = "127.0.0.1", port: int = 7860, out_dir=None) -> None:
        import uvicorn

        self.studio = Studio(root, out_dir=out_dir)
        app = build_app(self.studio)
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", limit_concurrency=64,
                                timeout_keep_alive=5)
        self.server = uvicorn.Server(config)
        self.url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
        self.thread = threading.Thread(target=self.server.run, name="ganforge-studio", daemon=True)

    def start(self, timeout: float = 30.0) -> "Server":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise GanforgeError(f"The studio did not start on {self.url} (port in use?); try another --port.")
            time.sleep(0.05)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)
        self.studio.close()


def serve(root: Path | str, host: str = "127.0.0.1", port: int = 7860) -> None:
    """Run the studio until Ctrl-C (``ganforge studio``)."""
    _import_gradio()
    if not 1 <= int(port) <= 65535:
        raise GanforgeError(f"--port must be between 1 and 65535, got {port}.")
    if host not in LOOPBACK:
        print(f"ganforge: warning: serving on {host}: anyone who can reach this address can use the studio.")
    server = Server(root, host=host, port=port).start()
    print(f"ganforge studio: {len(server.studio.list_runs(None))} runs from {server.studio.root} at {server.url} (Ctrl-C to stop)")
    try:
        while server.thread.is_alive():
            server.thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
