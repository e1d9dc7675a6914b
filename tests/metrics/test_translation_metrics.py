"""Translation metrics: L1 / PSNR / SSIM against hand-worked values and scikit-image, content preservation."""

import math

import pytest
import torch

from ganforge.errors import GanforgeError
from ganforge.metrics.translation import content_preservation, evaluate_translation, gaussian_window, l1, psnr, ssim


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


def test_content_preservation_scores_translations_and_inputs():
    labels = torch.tensor([0, 1, 1, 0])
    classify = lambda x: torch.stack([(x.mean((1, 2, 3)) < 0).double(), (x.mean((1, 2, 3)) >= 0).double()], 1)  # noqa: E731
    inputs = torch.full((4, 1, 4, 4), 0.5)  # all read as class 1
    translated = torch.tensor([-1.0, 1.0, 1.0, 1.0]).view(4, 1, 1, 1).expand(4, 1, 4, 4)
    assert content_preservation(classify, translated, inputs, labels) == {"content_acc": 0.75, "content_acc_untranslated": 0.5}


def test_evaluate_translation_combines_what_applies():
    x = torch.rand(4, 1, 16, 16) * 2 - 1
    scores = evaluate_translation(lambda s: -s, x, -x, paired=True, back=lambda s: -s)
    assert scores["l1"] == pytest.approx(0.0) and scores["ssim"] == pytest.approx(1.0) and scores["cycle_l1"] == pytest.approx(0.0)
    assert "kid" not in scores and "content_acc" not in scores
