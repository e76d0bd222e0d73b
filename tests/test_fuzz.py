"""Builds the libFuzzer targets (tests/fuzz) and runs each for a few seconds
(PCHAT_FUZZ_SECONDS, 10 by default: about 40 s for the four) from its seed
corpus and checked-in findings; fails on any crash, leak or UB report."""

import os
import re
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ = os.path.join(HERE, "fuzz")
TARGETS = ["fuzz_xccos", "fuzz_args", "fuzz_cmd", "fuzz_answer"]
SECONDS = int(os.environ.get("PCHAT_FUZZ_SECONDS", "10"))


@pytest.fixture(scope="module")
def built():
    res = subprocess.run(["make", "-s", "-C", FUZZ], capture_output=True, text=True,
                         timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_target_finds_nothing(built, target, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    res = subprocess.run(
        [os.path.join(FUZZ, target), f"-max_total_time={SECONDS}", "-dict=xccos.dict",
         f"-artifact_prefix={tmp_path}/", "-print_final_stats=1", "-max_len=8192",
         "-timeout=10", "-rss_limit_mb=2048", str(work), f"corpus/{target}",
         f"regress/{target}"],
        cwd=FUZZ, capture_output=True, text=True, errors="replace", timeout=SECONDS + 120,
        env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1",
                 UBSAN_OPTIONS="print_stacktrace=1"))
    execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", res.stderr)
    assert res.returncode == 0, res.stderr[-6000:]
    assert execs and int(execs.group(1)) > 1000, res.stderr[-2000:]
    assert not list(tmp_path.glob("crash-*")) and not list(tmp_path.glob("leak-*"))
    print(f"{target}: {execs.group(1)} executions")
