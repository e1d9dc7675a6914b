"""Our FID Inception-v3 port against an independent implementation: torch-fidelity's.

torch-fidelity (the Inception behind torchmetrics' FID) ports the same 2015
TensorFlow graph with its own code.  The two nets are given one state dict:
the published weights when they are on disk (``find_weights``), otherwise one
random initialisation with randomised batch-norm statistics, which tests the
same thing for the architecture (every layer, pool and branch order must
agree for the 2048-d features to match).  torch-fidelity's constructor loads
its state dict strictly, so the shared state dict also proves that the two
nets have the same parameter names and shapes.

The comparison is at 299 x 299, where both resizes are the identity: the two
tools' input pipelines differ on purpose (pytorch-fid, which we follow,
resizes with torch's bilinear and maps uint8 to x / 127.5 - 1; torch-fidelity
resizes like TensorFlow 1 and maps to (x - 128) / 128), so our net is fed
torch-fidelity's scaling to isolate the network itself.

torch-fidelity is imported without running its package ``__init__``, which
imports torchvision for datasets and CLIP; the Inception module needs torch only.
"""

import importlib
import sys
import types
from pathlib import Path

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics import inception
from ganforge.metrics.inception import FIDInceptionV3


#: where `make install-dev` puts torch-fidelity: off sys.path, so torchmetrics does not import it.
REFERENCE = Path(sys.prefix) / "reference" / "torch-fidelity"


@pytest.fixture(scope="module")
def fidelity() -> types.ModuleType:
    """torch_fidelity.feature_extractor_inceptionv3, loaded under a bare package stub (no torchvision needed).

    Whatever torch_fidelity modules were imported before are put back afterwards.
    """
    folder = REFERENCE / "torch_fidelity"
    assert (folder / "feature_extractor_inceptionv3.py").is_file(), (
        f"torch-fidelity is a test dependency: make install-dev puts it in {REFERENCE} "
        "(pip install --no-deps --target that folder torch-fidelity==0.4.0)")
    ours = lambda: [n for n in sys.modules if n == "torch_fidelity" or n.startswith("torch_fidelity.")]  # noqa: E731
    before = {name: sys.modules.pop(name) for name in ours()}
    package = types.ModuleType("torch_fidelity")
    package.__path__ = [str(folder)]
    sys.modules["torch_fidelity"] = package
    try:
        yield importlib.import_module("torch_fidelity.feature_extractor_inceptionv3")
    finally:
        for name in ours():
            del sys.modules[name]
        sys.modules.update(before)


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> tuple[dict[str, torch.Tensor], str, Path]:
    """(state dict, where it came from, the file it is saved in) given to both nets."""
    state, origin = shared_state_dict()
    file = tmp_path_factory.mktemp("inception") / "inception.pth"
    torch.save(state, file)
    return state, origin, file


def both_nets(fidelity, shared) -> tuple[torch.nn.Module, FIDInceptionV3]:
    """(torch-fidelity's net, ours), both in eval mode with the shared state dict."""
    state, _, file = shared
    theirs = fidelity.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"],
                                                  feature_extractor_weights_path=str(file))
    ours = FIDInceptionV3(input_size=299)
    ours.load_state_dict(state)
    return theirs, ours.eval()


def features(theirs, ours, seed: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(theirs, ours) 2048-d features (n, 2048) of n random uint8 299 x 299 RGB images."""
    images = torch.randint(0, 256, (n, 3, 299, 299), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)
    with torch.no_grad():
        (expected,) = theirs(images)
        got = ours((images.float() - 128) / 128)  # torch-fidelity's scaling (see the module docstring)
    return expected, got


def shared_state_dict() -> tuple[dict[str, torch.Tensor], str]:
    """The published weights if on disk, else a seeded random net whose BN statistics are not the identity."""
    try:
        path = inception.find_weights()
        return inception.load_state_dict(path), f"published weights {path}"
    except GanforgeError:
        pass
    torch.manual_seed(0)
    net = FIDInceptionV3(input_size=299)
    g = torch.Generator().manual_seed(1)
    for name, tensor in net.state_dict().items():
        if name.endswith("running_mean"):
            tensor.copy_(0.1 * torch.randn(tensor.shape, generator=g))
        elif name.endswith("running_var"):
            tensor.uniform_(0.5, 1.5, generator=g)
        elif name.endswith("bn.weight"):
            tensor.uniform_(0.8, 1.2, generator=g)
        elif name.endswith("bn.bias"):
            tensor.copy_(0.05 * torch.randn(tensor.shape, generator=g))
    return net.state_dict(), "random init"


def test_features_match_torch_fidelity(fidelity, shared):
    theirs, ours = both_nets(fidelity, shared)
    expected, got = features(theirs, ours, seed=2, n=2)
    assert got.shape == expected.shape == (2, 2048)
    scale = expected.abs().max()
    assert scale > 0, f"degenerate features ({shared[1]})"
    assert torch.allclose(got, expected, rtol=1e-4, atol=1e-4 * scale), (
        f"{shared[1]}: max |diff| {(got - expected).abs().max():.3g} at feature scale {scale:.3g}")


def test_a_different_net_is_told_apart(fidelity, shared):
    """The comparison above can fail: one swapped pool (Mixed_7c's max pool -> average) changes the features."""
    theirs, ours = both_nets(fidelity, shared)
    ours.Mixed_7c.max_pool = False
    expected, got = features(theirs, ours, seed=3, n=1)
    assert not torch.allclose(got, expected, rtol=1e-4, atol=1e-4 * expected.abs().max())
