"""TensorBoardLogger writes events TensorBoard's own reader understands; a run without it never imports it."""

import subprocess
import sys
import textwrap

import pytest
import torch

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402
from tensorboard.plugins.hparams import plugin_data_pb2  # noqa: E402

from ganforge.presets import load_config  # noqa: E402
from ganforge.training.tensorboard import TensorBoardLogger, flatten  # noqa: E402


def _read(log_dir):
    acc = EventAccumulator(str(log_dir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


@pytest.fixture
def cfg():
    return load_config("toy2d-gan", ["train.precision=fp32"], name="tb")


def test_scalars_images_config_and_hparams_are_readable(tmp_path, cfg):
    logger = TensorBoardLogger(tmp_path, cfg)
    logger.scalars(1, {"step": 1, "d/loss": 1.5, "g/loss": 0.5, "lr_g": 2e-4, "note": "text", "flag": True})
    logger.scalars(2, {"step": 2, "d/loss": 1.25, "g/loss": float("nan"), "health/collapse": 0.1})
    logger.scalars(2, {"step": 2, "eval/fid": 42.0})
    logger.images(2, torch.full((3, 8, 12), 200, dtype=torch.uint8))
    logger.images(3, torch.zeros((8, 12, 3), dtype=torch.uint8))
    logger.hparams(cfg.to_dict(), {"eval/fid": 42.0, "final/other": 7.0})
    logger.close()

    acc = _read(tmp_path / "tb")
    tags = acc.Tags()
    assert {"d/loss", "g/loss", "lr_g", "health/collapse", "eval/fid", "final/other"} <= set(tags["scalars"])
    assert "note" not in tags["scalars"] and "flag" not in tags["scalars"] and "step" not in tags["scalars"]
    assert [(e.step, e.value) for e in acc.Scalars("d/loss")] == [(1, 1.5), (2, 1.25)]
    assert [e.step for e in acc.Scalars("g/loss")] == [1]  # the NaN is not drawn
    images = acc.Images("samples")
    assert [(i.step, i.width, i.height) for i in images] == [(2, 12, 8), (3, 12, 8)]
    config_text = acc.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "toy2d" in config_text and "steps:" in config_text
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(acc.summary_metadata)
    content = acc.summary_metadata["_hparams_/session_start_info"].plugin_data.content
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert start.hparams["train.steps"].number_value == cfg.train.steps
    assert start.hparams["data.source"].string_value == "toy2d"


def test_close_writes_hparams_from_last_scalars_when_not_given(tmp_path, cfg):
    logger = TensorBoardLogger(tmp_path, cfg)
    logger.scalars(5, {"step": 5, "d/loss": 0.7})
    logger.close()
    acc = _read(tmp_path / "tb")
    content = acc.summary_metadata["_hparams_/experiment"].plugin_data.content
    experiment = plugin_data_pb2.HParamsPluginData.FromString(content).experiment
    assert [m.name.tag for m in experiment.metric_infos] == ["d/loss"]


def test_images_reject_float_grids(tmp_path, cfg):
    logger = TensorBoardLogger(tmp_path, cfg)
    with pytest.raises(ValueError, match="uint8"):
        logger.images(0, torch.zeros(3, 4, 4))
    logger.close()


def test_flatten_spells_keys_like_set():
    assert flatten({"train": {"steps": 5, "opt": {"lr": 1}}, "name": "x"}) == {"train.steps": 5, "train.opt.lr": 1, "name": "x"}


def test_training_without_tensorboard_never_imports_it(tmp_path):
    code = textwrap.dedent(f"""
        import sys, torch
        torch.set_num_threads(1)
        from ganforge.presets import load_config
        from ganforge.training.trainer import Trainer
        cfg = load_config("toy2d-gan", ["train.steps=2", "train.batch_size=16", "data.limit=64", "train.progress=false",
                                        "train.device=cpu", "train.precision=fp32", "model.g.hidden=[8]", "model.d.hidden=[8]"],
                          name="notb")
        cfg.out_dir = {str(tmp_path)!r}
        Trainer(cfg).fit()
        print("tensorboard" in sys.modules, any(m.startswith("tensorboard") for m in sys.modules))
    """)
    env_out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert env_out.returncode == 0, env_out.stderr[-2000:]
    assert env_out.stdout.strip().splitlines()[-1] == "False False"
    assert not (tmp_path / "notb" / "tb").exists()


def test_a_run_with_tensorboard_writes_its_losses_and_hparams(tmp_path):
    from ganforge.training.trainer import Trainer

    cfg = load_config("toy2d-gan", ["train.steps=3", "train.batch_size=16", "data.limit=64", "train.progress=false",
                                    "train.device=cpu", "train.precision=fp32", "model.g.hidden=[8]", "model.d.hidden=[8]",
                                    "train.log_every=1", "train.tensorboard=true"], name="withtb")
    cfg.out_dir = str(tmp_path)
    run_dir = Trainer(cfg).fit()
    acc = _read(run_dir / "tb")
    assert [e.step for e in acc.Scalars("d/loss")] == [1, 2, 3]
    assert "config/text_summary" in acc.Tags()["tensors"]
    assert "_hparams_/session_start_info" in acc.summary_metadata
