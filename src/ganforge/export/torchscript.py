"""TorchScript export: ``ganforge export RUN --format torchscript --out generator.pt``.

Load it anywhere libtorch runs, without ganforge: ``torch.jit.load(path)(z)``
(conditional runs: ``(z, labels)``) -> samples (B, *shape).

``torch.jit.trace`` would freeze the batch size (the nets reshape with
``len(z)``) and ``torch.jit.script`` cannot read the conditional wrappers, so
the module is scripted from the ``torch.export`` graph instead: that graph is
plain aten calls with the batch size as an explicit ``size(0)``.  The model's
metadata travels in the file's ``extra_files`` (``ganforge.json``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import torch.fx

from ganforge.errors import GanforgeError
from ganforge.registry import error_line
from ganforge.export import prepare
from ganforge.export.registry import FORMATS, ExportFormat
from ganforge.files import atomic_write

if TYPE_CHECKING:  # annotations only: ganforge.api imports this package lazily
    from ganforge.api import GeneratorModel

META_FILE = "ganforge.json"


def _scriptable(graph: torch.fx.Graph) -> None:
    """Rewrite an exported graph in place into what TorchScript accepts.

    Guards and asserts go (they check the example batch); ``sym_size`` becomes
    ``x.size(d)``; aten overloads become their packets (``aten.view``, which
    script resolves itself); the output tuple becomes the single tensor.
    """
    for node in list(graph.nodes):
        if node.op == "call_module" and "guard" in str(node.target) or \
                node.op == "call_function" and "assert" in str(node.target):
            graph.erase_node(node)
        elif node.op == "call_function" and node.target is torch.ops.aten.sym_size.int:
            node.op, node.target = "call_method", "size"
        elif node.op == "call_function" and isinstance(node.target, torch._ops.OpOverload):
            node.target = node.target.overloadpacket
        elif node.op == "output":
            node.args = (node.args[0][0],)


def to_torchscript(model: GeneratorModel) -> torch.jit.ScriptModule:
    module = prepare.trace(model).module()
    module.graph._codegen = torch.fx.graph.CodeGen()  # plain positional forward, no pytree flattening
    _scriptable(module.graph)
    plain = torch.fx.GraphModule(module, module.graph)
    try:
        with warnings.catch_warnings():  # torch.jit's deprecation notes are for torch users, not ganforge's
            warnings.simplefilter("ignore")
            return torch.jit.script(plain)
    except Exception as exc:  # script raises frontend errors of several types
        first = error_line(exc)
        raise GanforgeError(f"The {prepare.describe(model)} generator cannot be written as TorchScript ({first}); "
                            "use --format onnx.") from None


def write_torchscript(model: GeneratorModel, out: Path) -> Path:
    """Write ``out`` (a .pt file) atomically; returns its path."""
    out = Path(out)
    if out.suffix.lower() not in (".pt", ".pth", ".ts"):
        raise GanforgeError(f"--format torchscript writes one .pt file; give --out ending in .pt, got {str(out)!r}.")
    scripted = to_torchscript(model)
    extra = {META_FILE: json.dumps(prepare.metadata(model))}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return atomic_write(out, lambda tmp: torch.jit.save(scripted, str(tmp), _extra_files=extra))


def usage(model: GeneratorModel, path: Path) -> list[str]:
    call = "generator(z, labels)  # labels: (16,) int64 class ids" if model.num_classes else "generator(z)"
    return ["import torch", f"generator = torch.jit.load({path.name!r})",
            "# ganforge's latents for a seed (same as ganforge.load(run).sample(16, seed=0)):",
            f"z = torch.randn(16, {model.z_dim}, generator=torch.Generator().manual_seed(0))",
            f"images = {call}"]


FORMATS.register("torchscript")(ExportFormat(write_torchscript, usage, "generator.pt"))
