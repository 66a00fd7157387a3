"""The pure firmware modules pass the same suite on MicroPython (under the board's heap budget,
with a heap_lock check of the hot path) and on CPython, against the golden vectors."""

import os
import subprocess
import sys

from fw_common import FAKES, FIRMWARE, HEAP_BUDGET, VECTORS, run_micropython

SUITE = os.path.join(os.path.dirname(__file__), "pure_suite.py")


def _report(out):
    failed = [line for line in out.splitlines() if line.startswith("FAIL")]
    return "\n".join(failed) or out[-3000:]


def test_pure_modules_on_micropython_under_heap_budget():
    r = run_micropython([SUITE, str(VECTORS)], [FIRMWARE, FAKES], heap=HEAP_BUDGET)
    out = r.stdout + r.stderr          # the unix port prints tracebacks on stdout
    assert r.returncode == 0, _report(out)
    assert "0 failed" in out and "on micropython" in out
    assert "PASS test_hot_path_does_not_allocate" in out, out


def test_pure_modules_on_cpython():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(FIRMWARE), str(FAKES)]))
    r = subprocess.run([sys.executable, SUITE, str(VECTORS)], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, _report(r.stdout + r.stderr)
    assert "on cpython" in r.stdout


def test_heap_budget_is_real():
    """The same limit makes an allocation of more than the budget fail: the cap is enforced."""
    r = run_micropython(["-c", "b = bytearray(600 * 1024)"], [FIRMWARE], heap=HEAP_BUDGET)
    assert r.returncode != 0 and "MemoryError" in r.stdout + r.stderr


def test_golden_vectors_up_to_date():
    r = subprocess.run([sys.executable, str(FIRMWARE / "tools" / "make_golden.py"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
