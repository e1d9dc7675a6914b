"""evaluate / floor / evaluate_run / TrainingEvaluator on real MNIST slices, noise and constructed points."""

import json

import pytest
import torch

from ganforge.config import DataConfig
from ganforge.errors import GanforgeError
from ganforge.metrics import evaluate as ev
from ganforge.metrics import real_stats
from ganforge.metrics.evaluate import TrainingEvaluator, evaluate, evaluate_run, floor, format_table

MNIST = DataConfig(source="mnist")


def test_real_digits_score_well_and_noise_scores_badly(mnist_train, fake_model):
    shuffled = mnist_train.x[torch.randperm(len(mnist_train), generator=torch.Generator().manual_seed(0))]
    real_like = evaluate(fake_model(shuffled), MNIST, n=400)  # 400 train digits in random order
    noise = evaluate(fake_model(torch.rand(400, 1, 28, 28) * 2 - 1), MNIST, n=400)
    assert real_like.info["split"] == "test" and real_like.info["n_real"] == 1000 and real_like.info["n"] == 400
    assert real_like.info["extractor"] == "mnist" and len(real_like.info["extractor_sha256"]) == 64
    assert set(real_like) == {"fid", "kid_mean", "kid_std", "precision", "recall", "density", "coverage",
                              "is_mean", "is_std", "class_coverage", "class_kl"}
    assert real_like["fid"] < 0.1 * noise["fid"]
    assert real_like["kid_mean"] < 0.05 * noise["kid_mean"]
    assert real_like["precision"] > 0.7 and real_like["recall"] > 0.7 and real_like["coverage"] > 0.7
    assert noise["precision"] < 0.1 and noise["coverage"] < 0.1
    assert real_like["is_mean"] > 6.0 and real_like["class_coverage"] == 1.0 and real_like["class_kl"] < 0.05
    assert all(isinstance(v, float) for v in real_like.values())


def test_test_images_against_themselves_give_fid_zero(mnist_test, fake_model):
    r = evaluate(fake_model(mnist_test.x), MNIST, metrics=["fid", "pr"], n=1000)
    assert r["fid"] < 1e-6 and r["precision"] == 1.0 and r["recall"] == 1.0


def test_one_class_generator_loses_coverage(mnist_test, fake_model):
    ones = mnist_test.x[mnist_test.y == 1]
    r = evaluate(fake_model(ones), MNIST, metrics=["classes", "is"], n=len(ones))
    # a few ones the classifier misreads (as 7, ...) may cover a class or two more
    assert r["class_coverage"] <= 0.3 and r["class_kl"] > 1.5 and r["is_mean"] < 1.5


def test_real_stats_are_cached_on_disk(mnist_test, fake_model, fresh_stats_cache, monkeypatch):
    calls = []
    original = real_stats._extract_real
    monkeypatch.setattr(real_stats, "_extract_real", lambda *a, **k: calls.append(1) or original(*a, **k))
    model = fake_model(mnist_test.x[:50])
    first = evaluate(model, MNIST, metrics=["fid"], n=50)
    second = evaluate(model, MNIST, metrics=["fid"], n=50)
    assert len(calls) == 1 and not first.info["real_stats_cached"] and second.info["real_stats_cached"]
    assert first["fid"] == second["fid"]
    assert list((fresh_stats_cache / "stats").glob("mnist-test-mnist-1000-*.safetensors"))
    # a different real set size is a different entry
    evaluate(model, MNIST, metrics=["fid"], n=50, n_real=500)
    assert len(calls) == 2


def test_damaged_cache_is_recomputed(mnist_test, fake_model, fresh_stats_cache):
    model = fake_model(mnist_test.x[:20])
    a = evaluate(model, MNIST, metrics=["fid"], n=20)
    for f in (fresh_stats_cache / "stats").glob("*.safetensors"):
        f.write_bytes(b"garbage")
    b = evaluate(model, MNIST, metrics=["fid"], n=20)
    assert not b.info["real_stats_cached"] and a["fid"] == pytest.approx(b["fid"])


def test_toy2d_modes_on_constructed_points(fake_model):
    from ganforge.data.toy2d import mode_centres

    centres, std = mode_centres("ring8")
    g = torch.Generator().manual_seed(0)
    half = centres[torch.arange(400) % 4] + std * 0.5 * torch.randn(400, 2, generator=g)  # 4 of 8 modes
    cfg = DataConfig(source="toy2d", variant="ring8")
    r = evaluate(fake_model(half), cfg, n=400)
    assert r.info["extractor"] == "points" and r.info["split"] == "test"
    assert r["modes_hit"] == 4 and r["modes_total"] == 8 and r["high_quality_rate"] == 1.0
    assert r["class_coverage"] == 0.5 and r["class_kl"] == pytest.approx(torch.log(torch.tensor(2.0)).item(), abs=0.05)
    assert r["precision"] > 0.9 and r["recall"] < 0.6
    far = evaluate(fake_model(torch.full((100, 2), 10.0)), cfg, metrics=["modes"], n=100)
    assert far["modes_hit"] == 0 and far["high_quality_rate"] == 0.0
    with pytest.raises(GanforgeError, match="needs images"):
        evaluate(fake_model(half), cfg, metrics=["is"], n=10)


def test_grid25_floor_is_near_perfect():
    r = floor(DataConfig(source="toy2d", variant="grid25"), n=1000, n_real=1000)
    # within 3 std in 2-D: P = 1 - exp(-9/2) = 0.9889 for a perfect sampler
    assert r["modes_hit"] == 25 and r["high_quality_rate"] == pytest.approx(0.9889, abs=0.01) and r["fid"] < 0.1
    assert "train split" in r.info["generated"]


def test_mnist_floor(mnist_test):
    r = floor(MNIST, metrics=["fid", "pr", "classes"], n=500)
    assert r.info["n"] == 500 and r.info["n_real"] == 1000
    assert r["fid"] < 5 and r["precision"] > 0.7 and r["class_coverage"] == 1.0


def test_bad_requests_get_clear_errors(fake_model):
    model = fake_model(torch.zeros(10, 1, 28, 28))
    with pytest.raises(GanforgeError, match="Did you mean 'fid'"):
        evaluate(model, MNIST, metrics=["fdi"], n=10)
    with pytest.raises(GanforgeError, match="toy2d"):
        evaluate(model, MNIST, metrics=["modes"], n=10)
    with pytest.raises(GanforgeError, match="No feature extractor is committed for data source 'cifar10'"):
        ev.resolve_extractor("auto", DataConfig(source="cifar10"))
    with pytest.raises(GanforgeError, match="NaN or inf"):
        evaluate(fake_model(torch.full((10, 1, 28, 28), float("nan"))), MNIST, metrics=["fid"], n=10)
    with pytest.raises(GanforgeError, match=".sample"):
        evaluate(object(), MNIST, metrics=["fid"], n=10)


def test_stacked_mnist_counts_digit_triples(mnist_test, fake_model):
    # 300 samples showing exactly 40 distinct digit triples (one real digit image per channel).
    # The committed classifier misreads ~1% of the 900 digits and a misread can only add a triple
    # (each true triple has 7-8 samples, so none vanishes): 45-52 over four draws, so 40 <= hit <= 60.
    # A constant or random classifier (1 or ~250 triples) fails; so does counting anything but triples.
    gen = torch.Generator().manual_seed(0)
    triples = torch.randperm(1000, generator=gen)[:40]
    wanted = triples[torch.arange(300) % 40]
    digits = torch.stack([wanted // 100, wanted // 10 % 10, wanted % 10], 1)  # (300, 3)
    pools = [torch.nonzero(mnist_test.y == d).flatten() for d in range(10)]
    pick = torch.stack([pools[d][torch.randint(len(pools[d]), (1,), generator=gen)][0] for d in digits.flatten()])
    stacked = mnist_test.x[pick].reshape(300, 3, 28, 28)  # channel c = the image of digit digits[:, c]
    r = evaluate(fake_model(stacked), DataConfig(source="mnist", channels=3), metrics=["stacked_mnist"], n=300)
    assert r["stacked_modes_total"] == 1000 and 40 <= r["stacked_modes_hit"] <= 60


def test_format_table_lists_every_metric(mnist_test, fake_model):
    r = evaluate(fake_model(mnist_test.x[:40]), MNIST, metrics=["fid", "classes"], n=40)
    text = format_table(r)
    for key in ("fid", "class_coverage", "class_kl", "test split", "mnist"):
        assert key in text


def test_evaluate_run_writes_eval_json(tiny_image_config):
    from ganforge.training.trainer import Trainer

    run = Trainer(tiny_image_config(steps=2)).fit()
    report = evaluate_run(run, n=60, metrics=["fid", "kid", "pr", "is", "classes"])
    saved = json.loads((run / "eval.json").read_text())
    for key in ("metrics", "n", "n_real", "split", "extractor", "checkpoint", "seconds", "step", "source"):
        assert key in saved
    assert saved["n"] == 60 and saved["split"] == "test" and saved["checkpoint"] == "step_000002"
    assert saved["extractor"]["name"] == "mnist" and len(saved["extractor"]["sha256"]) == 64
    assert set(saved["metrics"]) >= {"fid", "kid_mean", "precision", "recall", "is_mean", "class_coverage"}
    assert saved["metrics"] == report["metrics"]
    assert "fid" in format_table(report) and "step_000002" in format_table(report)


def test_training_evaluator_is_repeatable(tiny_image_config):
    cfg = tiny_image_config(extra=["train.eval_n=64"])
    evaluator = TrainingEvaluator(cfg)
    torch.manual_seed(0)
    g = torch.nn.Sequential(torch.nn.Linear(8, 784), torch.nn.Tanh(), torch.nn.Unflatten(1, (1, 28, 28)))
    a = evaluator(g, 8, step=1)
    b = evaluator(g, 8, step=2)
    assert a["fid"] == b["fid"] and a["fid"] > 0 and "eval_seconds" in a
    assert {"kid_mean", "precision", "coverage", "is_mean", "class_coverage"} <= set(a)
    assert all(isinstance(v, float) for v in a.values())


def test_trainer_logs_eval_rows_and_keeps_a_best_checkpoint(tiny_image_config):
    from ganforge.training.trainer import Trainer

    run = Trainer(tiny_image_config(steps=4, extra=["train.eval_every=2", "train.eval_n=48"])).fit()
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval/fid" in r]
    assert [r["step"] for r in evals] == [2, 4]
    assert {"eval/kid_mean", "eval/precision", "eval/class_coverage", "eval/eval_seconds"} <= set(evals[0])
    assert (run / "checkpoints" / "best").is_file()


def test_format_table_says_why_a_requested_metric_has_no_number():
    report = {"metrics": {"fid": 12.5}, "not_applicable": {"cycle": "only CycleGAN runs translate both ways"}}
    text = format_table(report)
    assert "cycle" in text and "n/a" in text and "only CycleGAN runs translate both ways" in text
    assert "n/a" not in format_table({"metrics": {"fid": 12.5}})
