"""Runs the C unit tests (tests/unit) so that `make test` has one summary."""

import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))


def test_c_unit_tests_pass():
    res = subprocess.run(["make", "-s", "-C", os.path.join(HERE, "unit"), "run"],
                         capture_output=True, text=True, timeout=600)
    summary = [line for line in res.stdout.splitlines() if line.endswith(" failed")]
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-4000:]
    assert summary and summary[-1].split()[2] == "0", res.stdout[-2000:]
