"""Shared paths and runners for the firmware tests (MicroPython unix port, mpy-cross, pyright).

A plain module, not conftest.py, so that importing it by name cannot pick up another folder's
conftest when the whole suite runs."""

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIRMWARE = ROOT / "firmware"
FAKES = pathlib.Path(__file__).resolve().parent / "fakes"
VECTORS = FIRMWARE / "golden" / "vectors.json"
VENV_BIN = pathlib.Path(sys.executable).parent
HEAP_BUDGET = "512K"    # firmware/config.py HEAP_BUDGET_BYTES


def firmware_files():
    return sorted(p for p in FIRMWARE.glob("*.py"))


def venv_tool(name):
    path = VENV_BIN / name
    if not path.exists():
        pytest.skip("%s is not in %s: install the test extra (pip install -e '.[test]')"
                    % (name, VENV_BIN))
    return path


def run_micropython(args, path_dirs, heap=HEAP_BUDGET, timeout=60, env=None):
    exe = venv_tool("micropython")
    e = dict(os.environ)
    e["MICROPYPATH"] = ":".join([str(p) for p in path_dirs] + [".frozen"])
    if env:
        e.update(env)
    return subprocess.run([str(exe), "-X", "heapsize=" + heap] + list(args), env=e,
                          capture_output=True, text=True, timeout=timeout)

