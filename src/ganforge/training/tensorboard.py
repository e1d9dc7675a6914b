"""TensorBoard event files for a run (``train.tensorboard=true``, extra ``ganforge[tensorboard]``).

Written into ``runs/NAME/tb/`` by rank 0: every logged number as a scalar
under its metrics.jsonl key ("d/loss", "lr_g", "eval/fid", "health/..."),
the sample grids, the config as text, and at the end the run's settings with
its final metrics in the HParams tab, so runs can be compared side by side.

This module imports TensorBoard at import time on purpose: the trainer
imports it only when ``train.tensorboard`` is on (an ImportError there
becomes the "pip install" message), so a run without it never loads
TensorBoard.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
from torch.utils.tensorboard import SummaryWriter
from torch.utils.tensorboard.summary import hparams as hparams_summary

from ganforge.config import Config, to_yaml

TB_DIR = "tb"
NOT_SCALARS = ("step",)  # keys of a metrics row that are not measurements


def flatten(tree: dict, prefix: str = "") -> dict[str, object]:
    """{"train": {"steps": 5}} -> {"train.steps": 5}: nested config -> dotted keys, as ``--set`` spells them."""
    flat: dict[str, object] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def hparam_value(value: object) -> bool | int | float | str:
    """HParams take bool / number / text only: lists, None and the rest become their text."""
    return value if isinstance(value, (bool, int, float, str)) else str(value)


class TensorBoardLogger:
    """Writes one run's TensorBoard events into ``run_dir/tb``."""

    def __init__(self, run_dir: Path, cfg: Config) -> None:
        self.log_dir = Path(run_dir) / TB_DIR
        self.cfg = cfg
        self.writer = SummaryWriter(log_dir=str(self.log_dir))
        self.writer.add_text("config", "```yaml\n" + to_yaml(cfg) + "```", 0)
        self.last: dict[str, float] = {}  # newest value of each scalar: the final metrics for the HParams tab
        self.last_step = 0
        self._hparams_written = False

    def scalars(self, step: int, row: dict) -> None:
        """Every finite number of a metrics row (``"d/loss"``, ``"eval/fid"``, ...) at ``step``; text and flags skipped."""
        for key, value in row.items():
            if key in NOT_SCALARS or isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if math.isfinite(value):
                self.writer.add_scalar(key, float(value), step)
                self.last[key] = float(value)
        self.last_step = max(self.last_step, step)

    def images(self, step: int, grid_uint8: torch.Tensor) -> None:
        """A sample grid, uint8 (3, H, W) or (H, W, 3), under "samples"."""
        grid = torch.as_tensor(grid_uint8)
        if grid.dim() != 3 or grid.dtype != torch.uint8:
            raise ValueError(f"expected a uint8 grid (3, H, W) or (H, W, 3), got {tuple(grid.shape)} {grid.dtype}")
        layout = "CHW" if grid.shape[0] in (1, 3) and grid.shape[-1] not in (1, 3) else "HWC"
        self.writer.add_image("samples", grid.cpu().numpy(), step, dataformats=layout)

    def hparams(self, cfg_dict: dict, final_metrics: dict) -> None:
        """The run's settings (dotted keys) and final metrics in the HParams tab, in this run's own folder."""
        params = {k: hparam_value(v) for k, v in flatten(cfg_dict).items()}
        metrics = {k: float(v) for k, v in final_metrics.items()
                   if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}
        # SummaryWriter.add_hparams would write into a new sub-run; write the summaries here instead,
        # so the HParams row and the scalar curves are one run in TensorBoard.
        experiment, session_start, session_end = hparams_summary(params, metrics)
        for summary in (experiment, session_start, session_end):
            self.writer.file_writer.add_summary(summary)
        for key, value in metrics.items():  # HParams reads metrics from scalar curves; add the ones not logged yet
            if key not in self.last:
                self.writer.add_scalar(key, value, self.last_step)
        self._hparams_written = True

    def close(self) -> None:
        """Flush and close; writes the HParams entry from the last scalars if :meth:`hparams` was never called."""
        if not self._hparams_written:
            self.hparams(self.cfg.to_dict(), self.last)
        self.writer.close()
