"""ONNX export: ``ganforge export RUN --format onnx --out generator.onnx``.

Inputs ``z`` (batch, z_dim) float32 and, for conditional runs, ``labels``
(batch,) int64 class ids; output ``samples`` (batch, *shape): images in
[-1, 1] (the generators end in tanh), points as they are.  The batch axis is
named ``batch`` and any size works.  The model's own description (run,
checkpoint, weights fingerprint, shapes, class names, model.json) is in the
file's ``metadata_props``, so :func:`ganforge.load` can sample from the file
alone.
"""

from __future__ import annotations

import logging
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ganforge.errors import GanforgeError
from ganforge.export import prepare
from ganforge.export.registry import FORMATS, ExportFormat
from ganforge.files import atomic_write

if TYPE_CHECKING:  # annotations only: ganforge.api imports this package lazily
    from ganforge.api import GeneratorModel

OUTPUT_NAME = "samples"
BATCH_AXIS = "batch"


def _require_onnx():
    try:
        import onnx
    except ImportError:
        raise GanforgeError("ONNX export needs the onnx packages; install them with: pip install 'ganforge[export]'.") from None
    return onnx


@contextmanager
def _quiet_exporter():
    """The exporter logs warnings (e.g. "torchvision is not installed") and deprecation notes that are not the user's business."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def to_onnx_proto(model: GeneratorModel):
    """The generator as an ``onnx.ModelProto`` with metadata and a named batch axis."""
    onnx = _require_onnx()
    program = prepare.trace(model)
    with _quiet_exporter():
        onnx_program = torch.onnx.export(program, input_names=prepare.input_names(model),
                                         output_names=[OUTPUT_NAME], dynamo=True, verbose=False)
    proto = onnx_program.model_proto
    _name_batch_axis(proto)
    for key, value in prepare.metadata(model).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(proto)
    return proto


def _name_batch_axis(proto) -> None:
    """The exporter calls the symbolic batch size something like "s0"; users read "batch"."""
    symbol = proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param
    for value in [*proto.graph.input, *proto.graph.output, *proto.graph.value_info]:
        for dim in value.type.tensor_type.shape.dim:
            if symbol and dim.dim_param == symbol:
                dim.dim_param = BATCH_AXIS


def write_onnx(model: GeneratorModel, out: Path) -> Path:
    """Write ``out`` (a .onnx file) atomically; returns its path."""
    out = Path(out)
    if out.suffix.lower() != ".onnx":
        raise GanforgeError(f"--format onnx writes one .onnx file; give --out ending in .onnx, got {str(out)!r}.")
    proto = to_onnx_proto(model)
    onnx = _require_onnx()
    return atomic_write(out, lambda tmp: onnx.save_model(proto, str(tmp)))


def usage(model: GeneratorModel, path: Path) -> list[str]:
    return ["import ganforge  # or onnxruntime alone: inputs 'z' (and 'labels'), output 'samples'",
            f"model = ganforge.load({path.name!r})",
            "images = model.sample(16, seed=0)  # the same latents, labels and images as the run itself"]


FORMATS.register("onnx")(ExportFormat(write_onnx, usage, "generator.onnx"))
