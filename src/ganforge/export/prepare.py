"""The generator as it is exported: a frozen, batch-size-agnostic graph of what ``load(run).sample`` runs.

``ganforge.load`` gives the EMA generator when the run kept one, in eval
mode (batch norm uses its stored running statistics), so that is what is
exported.  Spectral norm is folded into plain weights (in eval mode its
power iteration is off, so the folded weight is exactly the one ``sample``
uses).  :func:`trace` records the forward pass once with
``torch.export`` (strict, so the nets' ``len(z)`` stays symbolic) and every
format is written from that one program, which is why the formats agree.
"""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING

import torch
import torch.nn as nn
from torch.nn.utils import parametrize

from ganforge.errors import GanforgeError
from ganforge.registry import error_line

if TYPE_CHECKING:  # annotations only: ganforge.api imports this package lazily
    from ganforge.api import GeneratorModel

EXAMPLE_BATCH = 2  # traced with 2 samples; the batch axis is symbolic, any size >= 1 works


def _unparametrize(module: nn.Module) -> None:
    """Freeze every parametrised tensor of ``module`` into a plain parameter holding its current value.

    Not ``parametrize.remove_parametrizations``: that deletes the property from
    the generated class, which a deep copy shares with the original model, so
    folding the copy would break the model being exported.
    """
    values = {name: getattr(module, name).detach().clone() for name in module.parametrizations}
    module.__class__ = module.__class__.__bases__[0]  # parametrize swapped in a generated subclass
    del module._modules["parametrizations"]
    for name, value in values.items():
        module.register_parameter(name, nn.Parameter(value, requires_grad=False))


def fold_spectral_norm(net: nn.Module) -> nn.Module:
    """Replace spectral-norm parametrisations (and legacy SN hooks) by their current eval-mode weights, in place."""
    for module in list(net.modules()):
        if parametrize.is_parametrized(module):
            _unparametrize(module)
        if hasattr(module, "weight_orig"):  # torch.nn.utils.spectral_norm (the hook version)
            torch.nn.utils.remove_spectral_norm(module)
    return net


def frozen_generator(model: GeneratorModel) -> nn.Module:
    """A CPU copy of ``model.generator`` in eval mode, SN folded, no gradients: the net ``sample`` runs."""
    net = copy.deepcopy(model.generator).cpu().eval()
    return fold_spectral_norm(net).requires_grad_(False)


def example_inputs(model: GeneratorModel, batch: int = EXAMPLE_BATCH) -> tuple[torch.Tensor, ...]:
    """(z (B, z_dim) float32,) plus class ids (B,) int64 for conditional models."""
    z = torch.zeros(batch, model.z_dim)
    if model.num_classes:
        return z, torch.zeros(batch, dtype=torch.long)
    return (z,)


def input_names(model: GeneratorModel) -> list[str]:
    return ["z", "labels"] if model.num_classes else ["z"]


def trace(model: GeneratorModel) -> torch.export.ExportedProgram:
    """``torch.export`` of the frozen generator with a symbolic batch axis shared by all inputs.

    A net whose forward cannot be captured becomes one GanforgeError naming
    the architecture, instead of a page of compiler trace.
    """
    net, args = frozen_generator(model), example_inputs(model)
    batch = torch.export.Dim("batch")
    shapes = tuple({0: batch} for _ in args)
    try:
        return torch.export.export(net, args, dynamic_shapes=shapes, strict=True)
    except Exception as exc:  # torch raises many types (Unsupported, UserError, ...); all mean "cannot capture"
        first = error_line(exc)
        raise GanforgeError(f"The {describe(model)} generator cannot be exported ({first}); "
                            "export works for nets whose forward is plain tensor code (see ganforge list architectures).") from None


def describe(model: GeneratorModel) -> str:
    spec = model.meta.get("generator") or {}
    arch = spec.get("arch") or model.meta.get("arch", "?")
    return f"{arch} ({spec['conditioning']}-conditional)" if spec.get("conditioning") else str(arch)


def metadata(model: GeneratorModel) -> dict[str, str]:
    """What goes into the exported file's metadata: run, checkpoint, weights fingerprint, shapes, classes, model.json."""
    from ganforge.art.provenance import run_and_checkpoint, weights_fingerprint

    run, checkpoint = run_and_checkpoint(model)
    return {
        "ganforge.run": str(run),
        "ganforge.checkpoint": checkpoint,
        "ganforge.fingerprint": weights_fingerprint(model.source),
        "ganforge.z_dim": str(model.z_dim),
        "ganforge.shape": json.dumps(list(model.shape)),
        "ganforge.inputs": json.dumps(input_names(model)),
        "ganforge.class_names": json.dumps(model.class_names if model.num_classes else None),
        "ganforge.model_json": json.dumps(model.meta),
    }
