"""Animations: looping GIFs with Pillow, MP4 with imageio-ffmpeg when it is installed.

Frames are uint8 (F, C, H, W), C in {1, 3}, as :func:`ganforge.art.latent.interpolate`
returns them.  Small images are upscaled with nearest-neighbour (crisp pixels)
so a 28x28 walk is big enough to see: by default to at least 256 pixels.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ganforge import limits
from ganforge.errors import GanforgeError
from ganforge.files import atomic_write

MIN_SIDE = 256  # default upscaling target for the shorter side
MAX_FPS = 100  # GIF frame times are in 1/100 s


def auto_scale(height: int, width: int, min_side: int = MIN_SIDE) -> int:
    """The smallest whole factor that makes the shorter side >= ``min_side`` (1 for big images)."""
    return max(1, math.ceil(min_side / max(1, min(height, width))))


def to_pil_frames(frames: torch.Tensor, scale: int | None = None) -> list[Image.Image]:
    """uint8 (F, C, H, W) -> PIL images ("L" or "RGB"), upscaled by ``scale`` (nearest)."""
    if frames.dtype != torch.uint8 or frames.dim() != 4 or frames.shape[1] not in (1, 3) or len(frames) == 0:
        raise ValueError(f"animations want uint8 (F, C, H, W) frames with C 1 or 3, got {frames.dtype} {tuple(frames.shape)}")
    _, c, h, w = frames.shape
    scale = auto_scale(h, w) if scale is None else limits.check_scale(scale, "Scale")
    limits.check_animation(len(frames), tuple(frames.shape[1:]), scale)  # before allocating the upscaled frames
    array = frames.permute(0, 2, 3, 1).numpy()
    images = []
    for frame in array:
        image = Image.fromarray(frame[..., 0] if c == 1 else frame, mode="L" if c == 1 else "RGB")
        if scale > 1:
            image = image.resize((w * scale, h * scale), Image.Resampling.NEAREST)
        images.append(image)
    return images


def check_fps(fps: float) -> float:
    """Frames per second in (0, MAX_FPS]; GIF frame times are whole hundredths of a second."""
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not (0 < fps <= MAX_FPS):
        raise GanforgeError(f"Frames per second must be between 1 and {MAX_FPS}, got {fps!r}.")
    return float(fps)


def save_gif(frames: torch.Tensor, path: Path | str, fps: float = 20, scale: int | None = None,
             metadata: dict | None = None) -> Path:
    """Write a GIF that loops forever; ``metadata`` goes into its comment as JSON (provenance)."""
    fps = check_fps(fps)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = to_pil_frames(frames, scale)
    duration = max(20, round(1000 / fps / 10) * 10)  # ms, in GIF's 10 ms steps; < 20 ms plays slowly in browsers
    extra = {"comment": json.dumps(metadata, sort_keys=True)} if metadata else {}
    return atomic_write(path, lambda tmp: images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                                                         duration=duration, loop=0, optimize=False, disposal=1,
                                                         **extra))


def mp4_available() -> bool:
    try:
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        return False
    return True


def save_mp4(frames: torch.Tensor, path: Path | str, fps: float = 20, scale: int | None = None,
             metadata: dict | None = None) -> Path:
    """Write an H.264 MP4 (yuv420p, plays everywhere) with imageio-ffmpeg; a clear error without it.

    ``metadata`` goes into the file's "comment" tag as JSON.
    """
    fps = check_fps(fps)
    try:
        import imageio_ffmpeg
    except ImportError:
        raise GanforgeError("Writing MP4 needs the optional package imageio-ffmpeg (`pip install imageio-ffmpeg`); "
                            "or write a .gif instead.") from None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    images = [im.convert("RGB") for im in to_pil_frames(frames, scale)]
    w, h = images[0].size
    pad_w, pad_h = w + w % 2, h + h % 2  # yuv420p needs even sizes
    params = ["-movflags", "+faststart", "-f", "mp4"]  # -f: the atomic temporary name has no .mp4 suffix
    if metadata:
        params += ["-metadata", "comment=" + json.dumps(metadata, sort_keys=True)]

    def write(tmp: Path) -> None:
        writer = imageio_ffmpeg.write_frames(str(tmp), (pad_w, pad_h), fps=fps, codec="libx264",
                                             pix_fmt_out="yuv420p", quality=8, macro_block_size=2,
                                             output_params=params, ffmpeg_log_level="error")
        writer.send(None)
        try:
            for image in images:
                array = np.zeros((pad_h, pad_w, 3), dtype=np.uint8)
                array[:h, :w] = np.asarray(image)
                writer.send(np.ascontiguousarray(array))
        finally:
            writer.close()

    return atomic_write(path, write)


WRITERS = {".gif": save_gif, ".mp4": save_mp4}


def save_animation(frames: torch.Tensor, path: Path | str, fps: float = 20, scale: int | None = None,
                   metadata: dict | None = None) -> Path:
    """GIF or MP4 by the file extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise GanforgeError(f"Cannot write an animation to {str(path)!r}; give a file name ending in .gif or .mp4.")
    return WRITERS[suffix](frames, path, fps=fps, scale=scale, metadata=metadata)


def read_gif_frames(path: Path | str) -> list[Image.Image]:
    """Every frame of a GIF as RGB (for tests and checks)."""
    frames = []
    with Image.open(path) as img:
        for i in range(getattr(img, "n_frames", 1)):
            img.seek(i)
            frames.append(img.convert("RGB"))
    return frames
