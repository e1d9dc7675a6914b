"""Translation metrics: L1 / PSNR / SSIM against hand-worked values and scikit-image; the specs through evaluate()."""

import math

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.config import DataConfig
from ganforge.data import load_dataset
from ganforge.data.paired import split_pair
from ganforge.metrics.evaluate import evaluate
from ganforge.metrics.registry import check_metrics, default_metrics
from ganforge.metrics.translation import accuracy, gaussian_window, l1, psnr, ssim


def test_l1_and_psnr_hand_worked():
    target = torch.full((2, 1, 16, 16), -1.0)  # 0 in [0, 1]
    output = torch.zeros(2, 1, 16, 16)  # 0.5 in [0, 1]
    assert l1(output, target) == pytest.approx(0.5)
    assert psnr(output, target) == pytest.approx(10 * math.log10(1 / 0.25))
    assert psnr(target, target) == 100.0


def test_ssim_of_identical_images_is_one_and_of_a_constant_shift_is_the_luminance_term():
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert ssim(x, x) == pytest.approx(1.0)
    a, b = torch.full((1, 1, 16, 16), 0.0), torch.full((1, 1, 16, 16), 0.2)  # 0.5 and 0.6 in [0, 1]
    c1 = 0.01**2
    assert ssim(a, b) == pytest.approx((2 * 0.5 * 0.6 + c1) / (0.25 + 0.36 + c1))


def test_gaussian_window_is_normalised_and_symmetric():
    w = gaussian_window()
    assert w.sum().item() == pytest.approx(1.0)
    assert torch.allclose(w, w.T) and w.argmax().item() == 5 * 11 + 5


def test_ssim_matches_scikit_image():
    metrics = pytest.importorskip("skimage.metrics")
    torch.manual_seed(0)
    x = torch.rand(3, 3, 32, 32) * 2 - 1
    y = (x + 0.3 * torch.randn_like(x)).clamp(-1, 1)
    expected = sum(
        metrics.structural_similarity(((x[i] + 1) / 2).permute(1, 2, 0).double().numpy(),
                                      ((y[i] + 1) / 2).permute(1, 2, 0).double().numpy(), channel_axis=2,
                                      gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
        for i in range(3)) / 3
    # scikit-image crops a (window-1)/2 border after filtering whole images; the valid windows are the same
    assert ssim(y, x) == pytest.approx(expected, abs=1e-6)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(GanforgeError, match="one shape"):
        l1(torch.zeros(1, 1, 16, 16), torch.zeros(1, 1, 8, 8))
    with pytest.raises(GanforgeError, match="at least 11"):
        ssim(torch.zeros(1, 1, 8, 8), torch.zeros(1, 1, 8, 8))


def test_accuracy_is_top1_against_labels():
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert accuracy(probs, torch.tensor([0, 1, 1, 0])) == 0.5


class Negate:
    """A perfect fashion <-> inverted-fashion translator, both ways."""

    directions, device = ["AtoB", "BtoA"], torch.device("cpu")

    def translate(self, x, direction="AtoB"):
        return -x


class Identity(Negate):
    directions = ["AtoB"]

    def translate(self, x, direction="AtoB"):
        return x.clone()


def _held_out(source, n):
    data = load_dataset(DataConfig(source=source, split="test"))
    a, b = split_pair(data.to_model(data.x[:n]))
    return a, b, data.y[:n]


def test_unpaired_specs_score_a_perfect_translator(fresh_stats_cache):
    from ganforge.metrics.extractor import load_extractor

    result = evaluate(Negate(), DataConfig(source="fashion2inverted"), n=64, n_real=None)
    a, _, labels = _held_out("fashion2inverted", 64)
    fashion = load_extractor("fashion-mnist")
    # content: the B classifier (Fashion-MNIST's after un-inverting) reads -(-a) = a, the untranslated input as -a
    assert result["content_acc"] == accuracy(fashion.probs(a), labels) > result["content_acc_untranslated"]
    assert result["content_acc_untranslated"] == accuracy(fashion.probs(-a), labels)
    assert result["cycle_l1"] == 0.0 and abs(result["target_kid"]) < 0.05
    assert "l1" not in result and set(result.info["not_applicable"]) == {"pixel"}  # unaligned pairs
    assert result.info["extractor"] == "fashion-mnist" and result.info["direction"] == "AtoB"


def test_paired_specs_compare_outputs_with_the_aligned_targets(fresh_stats_cache):
    result = evaluate(Identity(), DataConfig(source="edges2fashion"), metrics=["pixel", "cycle"], n=32, n_real=None)
    edges, clothes, _ = _held_out("edges2fashion", 32)
    assert result["l1"] == pytest.approx(l1(edges, clothes)) and result["ssim"] == pytest.approx(ssim(edges, clothes))
    assert "cycle_l1" not in result and "cycle" in result.info["not_applicable"]  # a one-way translator


def test_translation_metrics_belong_to_pair_data_and_need_a_translator(fresh_stats_cache):
    assert set(default_metrics("pairs")) == {"pixel", "target_kid", "cycle", "content"}
    assert not set(default_metrics("images")) & {"pixel", "cycle", "content"}
    with pytest.raises(GanforgeError, match="needs pairs"):
        check_metrics(["cycle"], "images")

    class Generator:
        device = torch.device("cpu")

        def sample(self, n, seed=0):
            return torch.zeros(n, 1, 32, 32)

    with pytest.raises(GanforgeError, match="need a translator"):
        evaluate(Generator(), DataConfig(source="edges2fashion"), n=4)
