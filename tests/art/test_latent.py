import math

import pytest
import torch

from ganforge.art.latent import (interpolate, interpolate_latents, latent_grid, latent_grid_latents, lerp,
                                 orthonormal_directions, slerp, truncate)
from ganforge.errors import GanforgeError


def test_interpolation_endpoints_equal_the_seeds_samples(tiny_model):
    seeds, steps = [1, 7, 42], 5
    frames = interpolate(tiny_model, seeds, steps=steps)
    assert frames.dtype == torch.uint8 and frames.shape == (steps * 2 + 1, 1, 28, 28)
    for i, seed in enumerate(seeds):
        assert torch.equal(frames[i * steps], tiny_model.sample_images(1, seed=seed)[0])


def test_interpolation_endpoints_with_truncation_and_lerp(tiny_model):
    frames = interpolate(tiny_model, [3, 4], steps=4, mode="lerp", truncation=0.7)
    assert torch.equal(frames[0], tiny_model.sample_images(1, seed=3, truncation=0.7)[0])
    assert torch.equal(frames[-1], tiny_model.sample_images(1, seed=4, truncation=0.7)[0])


def test_closed_walk_returns_to_the_start():
    keys = torch.randn(3, 8)
    path = interpolate_latents(keys, 4, closed=True)
    assert len(path) == 12 and torch.equal(path[0], keys[0]) and torch.equal(path[8], keys[2])
    # the frame before the end is on the way back to key 0
    assert (path[11] - keys[0]).norm() < (path[8] - keys[0]).norm()


def test_slerp_keeps_unit_norm_and_is_spherical():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, generator=g), torch.randn(64, generator=g)
    a, b = a / a.norm(), b / b.norm()
    t = torch.linspace(0, 1, 11)
    path = slerp(a, b, t)
    assert torch.allclose(path.norm(dim=1), torch.ones(11), atol=1e-5)
    assert torch.allclose(path[0], a, atol=1e-6) and torch.allclose(path[-1], b, atol=1e-6)
    # equal angular steps
    angles = torch.arccos((path[:-1] * path[1:]).sum(1).clamp(-1, 1))
    assert torch.allclose(angles, angles.mean().expand_as(angles), atol=1e-4)
    # lerp's midpoint dips inside the sphere; slerp's does not
    assert lerp(a, b, 0.5).norm() < 0.99


def test_slerp_norm_stays_between_endpoint_norms():
    g = torch.Generator().manual_seed(1)
    a, b = torch.randn(100, generator=g) * 0.5, torch.randn(100, generator=g) * 2.0
    norms = slerp(a, b, torch.linspace(0, 1, 21)).norm(dim=1)
    lo, hi = sorted([a.norm().item(), b.norm().item()])
    assert (norms >= lo - 1e-4).all() and (norms <= hi + 1e-4).all()


def test_slerp_of_parallel_vectors_falls_back():
    a = torch.ones(4)
    path = slerp(a, 2 * a, torch.tensor([0.0, 0.5, 1.0]))
    assert torch.allclose(path[1], 1.5 * a)


def test_truncation_is_deterministic_bounded_and_keeps_inside_values(tiny_model):
    z = tiny_model.latents(32, seed=5)
    zt = tiny_model.latents(32, seed=5, truncation=0.5)
    assert torch.equal(zt, tiny_model.latents(32, seed=5, truncation=0.5))
    assert zt.abs().max() <= 0.5
    inside = z.abs() <= 0.5
    assert torch.equal(zt[inside], z[inside])
    assert not torch.equal(zt, tiny_model.latents(32, seed=6, truncation=0.5))
    assert torch.equal(tiny_model.latents(3, seed=5, truncation=None), tiny_model.latents(3, seed=5))


def test_truncate_small_psi_and_errors():
    z = truncate(torch.randn(4, 50), 0.01, torch.Generator().manual_seed(0))
    assert z.abs().max() <= 0.01
    for bad in (0, -1, float("nan"), "0.5"):
        with pytest.raises(GanforgeError, match="Truncation"):
            truncate(torch.zeros(1, 2), bad, torch.Generator())


def test_interpolation_errors(tiny_model):
    with pytest.raises(GanforgeError, match="two seeds"):
        interpolate(tiny_model, [1], steps=3)
    with pytest.raises(GanforgeError, match="mode"):
        interpolate(tiny_model, [1, 2], mode="cubic")
    with pytest.raises(GanforgeError, match="Seed"):
        interpolate(tiny_model, [1, -2])
    with pytest.raises(GanforgeError, match="unconditional"):
        interpolate(tiny_model, [1, 2], steps=2, label=3)


def test_orthonormal_directions_are_orthonormal_and_seeded():
    d = orthonormal_directions(3, 16)
    assert torch.allclose(d @ d.T, torch.eye(2), atol=1e-5)
    assert torch.equal(d, orthonormal_directions(3, 16)) and not torch.equal(d, orthonormal_directions(4, 16))


def test_latent_grid_centre_is_the_seed(tiny_model):
    images = latent_grid(tiny_model, 9, n=5, spread=0.5)
    assert images.shape == (25, 1, 28, 28)
    assert torch.equal(images[12], tiny_model.sample_images(1, seed=9)[0])
    z0 = torch.randn(8)
    z = latent_grid_latents(z0, orthonormal_directions(0, 8), n=3, spread=0.5)
    assert torch.equal(z[4], z0)
    # corners are spread * |z0| * sqrt(2) away from the centre
    assert math.isclose((z[0] - z0).norm().item(), 0.5 * z0.norm().item() * math.sqrt(2), rel_tol=1e-4)
    with pytest.raises(GanforgeError, match="Grid size"):
        latent_grid(tiny_model, 1, n=100)


def test_conditional_walks_keep_the_class_and_class_grid(tiny_cond_run):
    from ganforge.api import load
    from ganforge.art.latent import class_grid

    model = load(tiny_cond_run)
    frames = interpolate(model, [1, 2], steps=3, label=4)
    assert torch.equal(frames[0], model.sample_images(1, seed=1, labels=4)[0])
    assert torch.equal(frames[-1], model.sample_images(1, seed=2, labels=4)[0])
    with pytest.raises(GanforgeError, match="choose a class"):
        interpolate(model, [1, 2], steps=3)
    grid = class_grid(model, seeds=[5, 6], classes=[0, "3", 9], truncation=0.8)
    assert grid.shape == (6, 1, 28, 28)
    one = model.sample_images(1, seed=6, labels=9, truncation=0.8)[0]
    assert (grid[5].int() - one.int()).abs().max() <= 1  # same latent and class (batching may move a last bit)


def test_class_grid_needs_a_conditional_model(tiny_model):
    from ganforge.art.latent import class_grid

    with pytest.raises(GanforgeError, match="conditional"):
        class_grid(tiny_model)


def test_class_weights_path_moves_between_one_hots():
    from ganforge.art.latent import class_weights_path

    w = class_weights_path([0, 3, 1], num_classes=4, steps=4)
    assert w.shape == (9, 4)
    torch.testing.assert_close(w.sum(dim=1), torch.ones(9))
    assert torch.equal(w[0], torch.eye(4)[0]) and torch.equal(w[4], torch.eye(4)[3]) and torch.equal(w[8], torch.eye(4)[1])
    torch.testing.assert_close(w[2], torch.tensor([0.5, 0.0, 0.0, 0.5]))
    closed = class_weights_path([0, 3], num_classes=4, steps=4, closed=True)
    assert closed.shape == (8, 4) and torch.equal(closed[4], torch.eye(4)[3])
    torch.testing.assert_close(closed[-1], torch.tensor([0.75, 0.0, 0.0, 0.25]))  # 3 -> 0, three quarters back


def test_class_morph_keeps_the_latent_and_hits_each_class_exactly(tiny_cond_run):
    from ganforge.api import load
    from ganforge.art.latent import class_morph

    model = load(tiny_cond_run)
    frames = class_morph(model, seed=7, classes=[3, "8", 1], steps=4, truncation=0.9)
    assert frames.shape == (9, 1, 28, 28) and frames.dtype == torch.uint8
    for index, label in ((0, 3), (4, 8), (8, 1)):
        assert torch.equal(frames[index], model.sample_images(1, seed=7, labels=label, truncation=0.9)[0])
    assert not torch.equal(frames[2], frames[0]) and not torch.equal(frames[2], frames[4])  # really in between


def test_class_morph_errors(tiny_model, tiny_cond_run):
    from ganforge.api import load
    from ganforge.art.latent import class_morph

    with pytest.raises(GanforgeError, match="conditional"):
        class_morph(tiny_model, 0, [1, 2])
    model = load(tiny_cond_run)
    with pytest.raises(GanforgeError, match="at least two"):
        class_morph(model, 0, [1])
    with pytest.raises(GanforgeError, match="10"):  # an unknown class lists the valid ones
        class_morph(model, 0, [1, 10])


def test_an_unknown_interpolation_mode_names_the_known_ones():
    from ganforge.art.latent import MODES, interpolate_latents
    from ganforge.errors import GanforgeError

    assert list(MODES) == ["slerp", "lerp"]
    with pytest.raises(GanforgeError, match="slerp, lerp"):
        interpolate_latents(torch.randn(2, 4), steps=3, mode="cubic")
