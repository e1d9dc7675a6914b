"""``ganforge.load("generator.onnx")``: sample from an exported ONNX file with the usual API.

The file's metadata holds the model.json of the run it came from, so the
latents, class handling and ``sample(n, seed, labels)`` are exactly those of
:class:`ganforge.model.GeneratorModel`; only the network call goes to
onnxruntime instead of torch.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

from ganforge.model import GeneratorModel
from ganforge.errors import GanforgeError

META_KEY = "ganforge.model_json"


class OnnxGenerator(torch.nn.Module):
    """An onnxruntime session behind a generator's call: (z (B, z_dim)[, labels (B,)]) -> samples (B, *shape)."""

    def __init__(self, session) -> None:
        super().__init__()
        self.session = session
        self.inputs = [i.name for i in session.get_inputs()]

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        feeds = {"z": z.detach().cpu().float().numpy()}
        if "labels" in self.inputs:
            if labels is None or labels.is_floating_point():
                raise GanforgeError("An exported conditional model takes class ids (one per sample), not class weights.")
            feeds["labels"] = labels.detach().cpu().long().numpy()
        return torch.from_numpy(self.session.run(None, feeds)[0])


class OnnxGeneratorModel(GeneratorModel):
    """A :class:`GeneratorModel` whose generator is an ONNX file run by onnxruntime on the CPU."""

    @property
    def device(self) -> torch.device:
        return torch.device("cpu")

    def to(self, device: str | torch.device) -> "OnnxGeneratorModel":
        if torch.device(device).type != "cpu":
            raise GanforgeError("An ONNX model loaded by ganforge runs on the CPU; load the run directory for other devices.")
        return self

    def save_pretrained(self, path: Path | str) -> Path:
        raise GanforgeError("An ONNX model is already a saved model; copy the .onnx file, or save_pretrained from the run.")


def read_metadata(path: Path) -> dict[str, str]:
    import onnx

    proto = onnx.load(str(path), load_external_data=False)
    return {p.key: p.value for p in proto.metadata_props}


def load_onnx(path: Path | str, device: str | torch.device = "cpu") -> OnnxGeneratorModel:
    """An exported .onnx file -> an OnnxGeneratorModel (``.sample(n, seed, labels)`` as for a run)."""
    path = Path(path)
    try:
        import onnxruntime
    except ImportError:
        raise GanforgeError("Loading an .onnx model needs onnxruntime; install it with: pip install 'ganforge[export]'.") from None
    try:
        meta = json.loads(read_metadata(path)[META_KEY])
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except KeyError:
        raise GanforgeError(f"{str(path)!r} was not exported by ganforge (no {META_KEY} metadata); "
                            "export it with ganforge export RUN --format onnx.") from None
    except Exception as exc:  # onnx / onnxruntime raise their own types for unreadable files
        raise GanforgeError(f"{str(path)!r} is not a readable ONNX model ({exc.__class__.__name__}); re-export it.") from None
    return OnnxGeneratorModel(OnnxGenerator(session), meta, path).to(device)
