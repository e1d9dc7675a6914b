"""benchmarks/cpu_budget.py: the CPU-time budget protocol's bookkeeping (the pure parts and the stop)."""

import signal
import subprocess
import sys
import time
from pathlib import Path

import cpu_budget as cb  # benchmarks/ is on the test path (pyproject: pythonpath)
import emoji
import pytest

ROOT = Path(__file__).resolve().parents[1]




def record(run, seed, fid, recall, step=100, cpu_s=360.0, budget_s=360.0):
    return {"run": run, "seed": seed, "budget_s": budget_s, "step": step, "cpu_s": cpu_s,
            "metrics": {"fid": fid, "kid_mean": 0.01, "precision": 0.5, "recall": recall, "density": 0.4, "coverage": 0.3}}


def test_run_specs_name_the_preset_and_its_overrides():
    assert cb.parse_run("fashion-dcgan") == ("fashion-dcgan", "fashion-dcgan", [])
    assert cb.parse_run("w32=fashion-dcgan,model.g.width=32,train.batch_size=32") == (
        "w32", "fashion-dcgan", ["model.g.width=32", "train.batch_size=32"])


@pytest.mark.parametrize("spec, sets", [
    # a comma splits only before "key=": list, mapping and policy values keep their commas
    ("b0=emoji-fastgan,optim_d.betas=[0.0,0.99],model.g.channels={32: 16, 64: 8}",
     ["optim_d.betas=[0.0,0.99]", "model.g.channels={32: 16, 64: 8}"]),
    ("da=mnist-best,recipe.diffaugment=color,translation,train.batch_size=16",
     ["recipe.diffaugment=color,translation", "train.batch_size=16"]),
])
def test_run_spec_values_keep_their_commas(spec, sets):
    assert cb.parse_run(spec)[2] == sets


def test_the_emoji_benchmark_uses_this_protocol():
    # defined in cpu_budget.py, not copied into emoji.py
    for function in (emoji.parse_run, emoji.cpu_seconds, emoji.train_command, emoji.evaluate, emoji.checkpoint_step,
                     emoji.wait_or_kill):
        assert Path(function.__code__.co_filename).resolve() == ROOT / "benchmarks" / "cpu_budget.py"


def test_proc_stat_cpu_time_is_user_plus_system_ticks():
    # A command name with spaces and a ')' must not shift the fields; utime=300, stime=50 ticks.
    fields = ["S", "1", "1", "1", "0", "-1", "0", "0", "0", "0", "0", "300", "50"] + ["0"] * 39
    text = "1234 (python (my) run) " + " ".join(fields)
    assert cb.parse_proc_stat(text) == pytest.approx(350 / cb.TICKS)


def test_checkpoint_step_reads_the_latest_pointer(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "latest").write_text("step_003712\n")
    assert cb.checkpoint_step(tmp_path) == 3712


def test_summary_is_mean_and_sample_std_per_run_at_one_budget():
    results = [record("a", 0, 10.0, 0.4, step=100), record("a", 1, 12.0, 0.6, step=300),
               record("b", 0, 5.0, 0.5), record("a", 0, 99.0, 0.0, budget_s=120.0)]
    summary = cb.summarise(results, 360.0)
    assert list(summary) == ["a", "b"]
    assert summary["a"]["seeds"] == [0, 1]
    assert summary["a"]["fid"] == pytest.approx((11.0, 2 ** 0.5))
    assert summary["a"]["step"] == pytest.approx((200.0, 2 ** 0.5 * 100))
    assert summary["b"]["recall"] == (0.5, 0.0)  # one seed: std 0
    text = cb.table(summary)
    assert "| a | 0, 1 | 200 ± 141 | 360 ± 0 | 11.00 ± 1.41 |" in text
    assert text.count("\n") == 3  # header, rule, two rows


def test_done_matches_run_seed_and_budget():
    results = [record("a", 0, 10.0, 0.4)]
    assert cb.done(results, "a", 0, 360.0)
    assert not cb.done(results, "a", 1, 360.0) and not cb.done(results, "a", 0, 120.0)


def test_appending_keeps_records_that_other_processes_wrote_meanwhile(tmp_path):
    out = tmp_path / "results.json"
    cb.append_record(out, record("a", 0, 5.0, 0.5))
    cb.append_record(out, record("b", 0, 4.0, 0.6))  # re-reads the file at write time, not at the run's start
    assert [r["run"] for r in cb.load_results(out)] == ["a", "b"]


def test_concurrent_appends_lose_no_record(tmp_path):
    # Each append runs in its own process (a run is one cpu_budget command); the lock makes read + write one step.
    out = tmp_path / "results.json"
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import cpu_budget as cb; from pathlib import Path\n"
            "for i in range(10): cb.append_record(Path(sys.argv[2]), {'run': sys.argv[3], 'seed': i})")
    writers = [subprocess.Popen([sys.executable, "-c", code, str(ROOT / "benchmarks"), str(out), f"w{k}"])
               for k in range(4)]
    assert all(w.wait(timeout=120) == 0 for w in writers)
    assert sorted((r["run"], r["seed"]) for r in cb.load_results(out)) == sorted(
        (f"w{k}", i) for k in range(4) for i in range(10))


def test_train_command_puts_the_run_settings_after_the_protocol_ones(tmp_path):
    cmd = cb.train_command("fashion-dcgan", ["train.steps=5"], "x-s2", tmp_path, 2)
    sets = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--set"]
    assert "train.seed=2" in sets and sets[-1] == "train.steps=5"  # later --set wins: the run's own come last


# Like the trainer: on SIGINT, finish up and exit (130, as `ganforge` does on Ctrl-C); never stopped: exit 3 after 10 CPU s.
BUSY = ("import signal, sys, time\nsignal.signal(signal.SIGINT, lambda *a: sys.exit(130))\n"
        "while time.process_time() < 10:\n    pass\nsys.exit(3)\n")


def test_a_process_is_stopped_with_sigint_once_it_used_its_cpu_budget(tmp_path):
    timing = cb.train_for_cpu([sys.executable, "-c", BUSY], 0.5, tmp_path / "log", poll_s=0.05)
    assert 0.5 <= timing["cpu_s"] < 5.0


def test_a_run_that_ends_before_its_budget_is_an_error(tmp_path):
    with pytest.raises(RuntimeError, match="before the budget"):
        cb.train_for_cpu([sys.executable, "-c", "pass"], 30.0, tmp_path / "log", poll_s=0.05)


def test_a_run_that_ignores_sigint_is_killed_and_reported():
    deaf = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass"
    proc = subprocess.Popen([sys.executable, "-c", deaf])
    try:
        time.sleep(0.5)  # let it install the handler
        proc.send_signal(signal.SIGINT)
        with pytest.raises(RuntimeError, match="did not stop within 1 s of SIGINT"):
            cb.wait_or_kill(proc, "deaf", timeout_s=1)
        assert proc.poll() is not None  # killed, not left burning a core
    finally:
        proc.kill()
