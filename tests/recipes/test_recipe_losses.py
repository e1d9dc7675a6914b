"""The recipes train with the loss their config names: recipe.loss / loss_args (gan) and the
auxiliary class loss with aux_weight (acgan), measured in real one-step training runs, and the
projection discriminator's formula.

The trick: D's outputs are pinned to known constants (its real forward runs, times 0, plus c,
so the graph and every gradient path stay intact); each loss then has a closed-form value,
and the logged d/loss and g/loss of step 1 must equal it.
"""

import math

import pytest
import torch

from ganforge.presets import load_config
from ganforge.losses import LOSSES
from ganforge.nets.conditional import ConditionalDiscriminator
from ganforge.nets.mlp import MLPDiscriminator
from ganforge.training.plots import read_metrics
from ganforge.training.trainer import Trainer

C = 0.5  # the pinned real/fake logit
ONE_STEP = ["train.steps=1", "train.n_critic=1", "train.log_every=1", "train.sample_every=100",
            "train.checkpoint_every=100", "train.progress=false", "train.device=cpu", "train.precision=fp32",
            "train.health='off'", "train.ema_decay=0.0"]
POINTS = ["data.limit=64", "model.g.hidden=[8]", "model.d.hidden=[8]", "train.batch_size=16"]
IMAGES = ["data.limit=64", "model.z_dim=8", "model.g.width=4", "model.d.width=4", "train.batch_size=10"]

LOSS_CASES = [  # (recipe.loss, recipe.loss_args)
    ("minimax", {}),
    ("nonsaturating", {}),
    ("nonsaturating", {"real_label": 0.9}),  # one-sided label smoothing changes only D's loss
    ("hinge", {}),
    ("lsgan", {}),
    ("lsgan", {"a": -1.0, "b": 1.0, "c": 0.0}),
    ("wasserstein", {}),
]


def _expected(loss: str, args: dict) -> tuple[float, float]:
    fn, c = LOSSES.get(loss)(**args), torch.full((16,), C)
    return fn.d_loss(c, c).item(), fn.g_loss(c).item()


def _first_row(trainer) -> dict:
    run = trainer.fit()
    rows = [r for r in read_metrics(run / "metrics.jsonl") if "d/loss" in r]
    assert rows and rows[0]["step"] == 1
    return rows[0]


def _flow_args(args: dict) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in args.items()) + "}"


def test_the_loss_cases_are_told_apart_by_their_values():
    # Otherwise a recipe ignoring its loss could pass the test below.
    values = [_expected(loss, args) for loss, args in LOSS_CASES]
    assert len({(round(d, 6), round(g, 6)) for d, g in values}) == len(values)


@pytest.mark.parametrize("loss, args", LOSS_CASES, ids=[f"{n}{'-' + '-'.join(a) if a else ''}" for n, a in LOSS_CASES])
def test_gan_recipe_trains_with_the_configured_loss_and_options(loss, args, tmp_path):
    cfg = load_config("toy2d-gan", POINTS + ONE_STEP + [f"recipe.loss={loss}", f"recipe.loss_args={_flow_args(args)}"],
                      name="loss")
    cfg.out_dir = str(tmp_path)
    trainer = Trainer(cfg)
    D = trainer.recipe.D
    forward = D.forward
    D.forward = lambda x, *a, **k: forward(x, *a, **k) * 0 + C  # every D output is C, gradients still flow
    row = _first_row(trainer)
    d, g = _expected(loss, args)
    assert row["d/loss"] == pytest.approx(d, abs=1e-5) and row["g/loss"] == pytest.approx(g, abs=1e-5)


@pytest.mark.parametrize("aux_weight", [0.0, 0.5, 2.0])
def test_acgan_adds_its_class_loss_times_aux_weight(aux_weight, tmp_path):
    # Class logits pinned to 0: the classifier is uniform over the 10 classes, so each cross-entropy
    # is log 10 exactly; D pays it for reals and fakes, G for fakes.
    cfg = load_config("fashion-acgan", IMAGES + ONE_STEP + [f"recipe.aux_weight={aux_weight}"], name="acgan")
    cfg.out_dir = str(tmp_path)
    trainer = Trainer(cfg)
    D = trainer.recipe.D
    classify = D.classify

    def pinned(x):
        logits, classes = classify(x)
        return logits * 0 + C, classes * 0

    D.classify = pinned
    row = _first_row(trainer)
    d, g = _expected(trainer.recipe.opts.loss, trainer.recipe.opts.loss_args)
    ce = math.log(10)
    assert row["d/aux"] == pytest.approx(2 * ce, abs=1e-5) and row["g/aux"] == pytest.approx(ce, abs=1e-5)
    assert row["d/loss"] == pytest.approx(d + aux_weight * 2 * ce, abs=1e-5)
    assert row["g/loss"] == pytest.approx(g + aux_weight * ce, abs=1e-5)


def test_acgan_class_loss_is_the_cross_entropy_of_the_true_labels(tmp_path):
    # Class logits that favour class 0 by 3 nats: the real images' CE is then larger for every
    # label but 0, so d/aux depends on the labels the step was given, as it must.
    cfg = load_config("fashion-acgan", IMAGES + ONE_STEP, name="acgan")
    cfg.out_dir = str(tmp_path)
    trainer = Trainer(cfg)
    D = trainer.recipe.D
    classify = D.classify
    bias = torch.zeros(10)
    bias[0] = 3.0

    def pinned(x):
        logits, classes = classify(x)
        return logits * 0 + C, classes * 0 + bias

    D.classify = pinned
    row = _first_row(trainer)
    ce = torch.nn.functional.cross_entropy(bias[None], torch.tensor([0]))  # label 0
    ce_other = torch.nn.functional.cross_entropy(bias[None], torch.tensor([1]))  # any other label
    # The batch (real and sampled fake labels) mixes classes: d/aux lies strictly between the extremes.
    assert 2 * ce.item() < row["d/aux"] < 2 * ce_other.item()
    assert row["d/real_class_acc"] < 1.0  # the pinned classifier says 0 for every image


def test_projection_logit_is_head_plus_label_embedding_dot_features():
    torch.manual_seed(0)
    D = ConditionalDiscriminator(MLPDiscriminator, (2,), 4, "projection", hidden=[8], dropout=0.0).eval()
    x, y = torch.randn(6, 2), torch.tensor([0, 1, 2, 3, 1, 0])
    with torch.no_grad():
        D.embed.weight.copy_(torch.arange(4 * 8, dtype=torch.float32).view(4, 8) / 10)
        h = D.net.features(x)
        unconditional = D.net.head(h).view(-1)
        expected = unconditional + (D.embed.weight[y] * h).sum(1)
        assert torch.allclose(D(x, y), expected, atol=1e-5)
        D.embed.weight.zero_()  # no class information left: every label gives the unconditional logit
        assert torch.allclose(D(x, y), unconditional) and torch.allclose(D(x, torch.full_like(y, 3)), unconditional)
