"""ONNX and TorchScript exports sample exactly what ``ganforge.load(...).sample`` samples, for every architecture."""

import errno
import json

import numpy as np
import onnx
import pytest
import torch

import ganforge
from ganforge.cli import main
from ganforge.errors import GanforgeError
from ganforge.export import export
from ganforge.export.onnx_model import OnnxGeneratorModel
from ganforge.nets import ARCHS
from ganforge.nets.conditional import G_CONDITIONING
TOL = 1e-4
# every architecture, and every generator conditioning on the DCGAN
CASES = [(arch, None) for arch in ARCHS.names()] + [("dcgan", c) for c in G_CONDITIONING.names()]


def _ids(case):
    arch, conditioning = case
    return f"{arch}-{conditioning}" if conditioning else arch


@pytest.fixture(params=CASES, ids=[_ids(c) for c in CASES])
def model_dir(request, saved_model, tiny_spec):
    arch, conditioning = request.param
    return saved_model(tiny_spec(arch, conditioning))


def test_onnx_matches_sample_for_every_architecture(model_dir, tmp_path):
    out = export(model_dir, "onnx", tmp_path / "out" / "g.onnx")
    eager, exported = ganforge.load(model_dir), ganforge.load(out)
    assert isinstance(exported, OnnxGeneratorModel)
    for n, seed in ((1, 0), (5, 3)):  # the batch axis is dynamic
        want, got = eager.sample(n, seed=seed), exported.sample(n, seed=seed)
        assert got.shape == want.shape == (n, *eager.shape)
        assert (got - want).abs().max().item() < TOL
    if eager.num_classes:
        assert (exported.sample(4, seed=1, labels="b") - eager.sample(4, seed=1, labels="b")).abs().max() < TOL


def test_torchscript_matches_sample_for_every_architecture(model_dir, tmp_path):
    out = export(model_dir, "torchscript", tmp_path / "g.pt")
    eager, scripted = ganforge.load(model_dir), torch.jit.load(str(out))
    for n in (1, 5):
        z = eager.latents(n, seed=2)
        labels = eager.labels_for(n, None, seed=2)
        args = (z,) if labels is None else (z, labels)
        assert (scripted(*args) - eager.generate(z, labels)).abs().max().item() < TOL


def test_onnx_metadata_describes_the_model(saved_model, tiny_spec, tmp_path):
    model_dir = saved_model(tiny_spec("dcgan", "concat"))
    out = export(model_dir, "onnx", tmp_path / "g.onnx")
    proto = onnx.load(str(out))
    meta = {p.key: p.value for p in proto.metadata_props}
    assert meta["ganforge.checkpoint"] == "model"
    assert len(meta["ganforge.fingerprint"]) == 16
    assert json.loads(meta["ganforge.shape"]) == list(ganforge.load(model_dir).shape)
    assert json.loads(meta["ganforge.class_names"]) == ["a", "b", "c"]
    assert [i.name for i in proto.graph.input] == ["z", "labels"]
    assert [o.name for o in proto.graph.output] == ["samples"]
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_spectral_norm_is_folded_into_the_export(saved_model, tiny_spec, tmp_path):
    from ganforge.export.prepare import frozen_generator

    model = ganforge.load(saved_model(tiny_spec("dcgan")))
    torch.nn.utils.parametrizations.spectral_norm(model.generator.net[0])
    model.generator.train()
    model.generator(torch.randn(4, model.z_dim))  # a power-iteration step, so u/v are not the initial ones
    model.generator.eval()
    frozen = frozen_generator(model)
    assert not any(torch.nn.utils.parametrize.is_parametrized(m) for m in frozen.modules())
    out = export(model, "onnx", tmp_path / "sn.onnx")
    z = model.latents(3, seed=0)
    assert torch.nn.utils.parametrize.is_parametrized(model.generator.net[0])  # the exported model is untouched
    assert (ganforge.load(out).generate(z) - model.generate(z)).abs().max() < TOL


def test_exported_runs_match_without_ema_and_conditional(tiny_image_config, tiny_cond_run, tmp_path):
    from ganforge.training.trainer import Trainer

    no_ema = Trainer(tiny_image_config(steps=2, extra=["train.ema_decay=0"])).fit()
    for run in (no_ema, tiny_cond_run):
        out = export(run, "onnx", tmp_path / f"{run.name}.onnx")
        eager, exported = ganforge.load(run), ganforge.load(out)
        assert (exported.sample(6, seed=42) - eager.sample(6, seed=42)).abs().max() < TOL
    assert ganforge.load(tiny_cond_run).num_classes == 10


def test_cli_export_writes_the_file_and_a_card(tiny_run, tmp_path, capsys):
    out = tmp_path / "cli" / "digits.onnx"
    assert main(["export", str(tiny_run), "--format", "onnx", "--out", str(out)]) == 0
    assert out.is_file() and "digits.onnx" in capsys.readouterr().out
    card = (out.parent / "README.md").read_text()
    assert "ganforge export" in card and "--format onnx" in card


def test_wrong_suffix_and_unknown_format_are_one_line_errors(tiny_run, tmp_path, capsys):
    assert main(["export", str(tiny_run), "--format", "onnx", "--out", str(tmp_path / "g.pt")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and ".onnx" in err
    with pytest.raises(GanforgeError, match="Unknown export format 'onx'.*Did you mean 'onnx'"):
        export(tiny_run, "onx", tmp_path / "g.onnx")


def test_a_read_only_run_directory_cannot_be_exported_into_itself(tiny_run, monkeypatch):
    # The kernel answers EROFS for any file created on a read-only mount; raise it for every new file in
    # the run directory (chmod alone would not stop root, which runs CI containers).
    import tempfile

    real = tempfile.NamedTemporaryFile

    def read_only(*args, dir=None, **kwargs):
        if dir is not None and str(dir).startswith(str(tiny_run)):
            raise OSError(errno.EROFS, "Read-only file system", str(dir))
        return real(*args, dir=dir, **kwargs)

    monkeypatch.setattr(tempfile, "NamedTemporaryFile", read_only)
    before = sorted(p.name for p in tiny_run.iterdir())
    with pytest.raises(GanforgeError) as info:
        export(tiny_run, "onnx", tiny_run / "generator.onnx")
    message = str(info.value)
    assert "read-only" in message and str(tiny_run) in message and "\n" not in message
    assert sorted(p.name for p in tiny_run.iterdir()) == before


def test_an_onnx_model_cannot_be_re_exported_or_saved(tiny_run, tmp_path):
    out = export(tiny_run, "onnx", tmp_path / "g.onnx")
    model = ganforge.load(out)
    with pytest.raises(GanforgeError, match="already an export"):
        export(out, "onnx", tmp_path / "again.onnx")
    with pytest.raises(GanforgeError, match="already a saved model"):
        model.save_pretrained(tmp_path / "saved")
    with pytest.raises(GanforgeError, match="CPU"):
        model.to("cuda")


def test_a_foreign_onnx_file_is_refused_clearly(tmp_path):
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    path = tmp_path / "other.onnx"
    onnx.save(helper.make_model(graph), str(path))
    with pytest.raises(GanforgeError, match="not exported by ganforge"):
        ganforge.load(path)


def test_onnx_sample_images_are_uint8(tiny_run, tmp_path):
    model = ganforge.load(export(tiny_run, "onnx", tmp_path / "g.onnx"))
    images = model.sample_images(2, seed=0)
    assert images.dtype == torch.uint8 and images.shape == (2, 1, 28, 28)
    assert np.array_equal(images.numpy(), ganforge.load(tiny_run).sample_images(2, seed=0).numpy())


def test_a_model_without_latents_is_refused_in_one_line(monkeypatch, tmp_path):
    import ganforge.api

    class Translator:  # what load() gives for a pix2pix / CycleGAN run: images in, images out
        pass

    monkeypatch.setattr(ganforge.api, "load", lambda *a, **k: Translator())
    with pytest.raises(GanforgeError, match="not a latent generator \\(Translator\\)"):
        export(tmp_path, "onnx", tmp_path / "g.onnx")
    assert not (tmp_path / "g.onnx").exists()
