"""Static gates: every firmware file compiles with mpy-cross; pyright checks the firmware against
the ESP32-S3 MicroPython stubs (each known stub bug is silenced on its line, with a reason)."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from fw_common import FIRMWARE, VENV_BIN, firmware_files, venv_tool

STUBS = VENV_BIN.parent / "typings-esp32s3"


@pytest.mark.parametrize("path", firmware_files(), ids=lambda p: p.name)
def test_mpy_cross_compiles(path, tmp_path):
    exe = venv_tool("mpy-cross")
    r = subprocess.run([str(exe), "-o", str(tmp_path / (path.stem + ".mpy")), str(path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr


def test_mpy_cross_rejects_what_micropython_cannot_run(tmp_path):
    """The gate can fail: positional-only parameters are CPython-only syntax."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f(a, /, b):\n    return a\n")
    r = subprocess.run([str(venv_tool("mpy-cross")), str(bad)], capture_output=True, text=True)
    assert r.returncode != 0


def _pyright(tmp_path, include):
    if not STUBS.is_dir():
        pytest.skip("ESP32-S3 stubs not installed in %s (./tw installs them with pip --target)"
                    % STUBS)
    exe = venv_tool("pyright")
    cfg = {
        # pyright ignores absolute include paths: give them relative to the config file
        "include": [os.path.relpath(p, tmp_path) for p in include],
        "exclude": [os.path.relpath(FIRMWARE / "tools", tmp_path)],
        "typeshedPath": str(STUBS),
        "stubPath": str(STUBS),
        "extraPaths": [str(FIRMWARE)],
        "reportMissingModuleSource": "none",
        "typeCheckingMode": "basic",
        "enableTypeIgnoreComments": False,
        "reportUnnecessaryTypeIgnoreComment": "error",   # a fixed stub bug shows up here
    }
    (tmp_path / "pyrightconfig.json").write_text(json.dumps(cfg))
    env = dict(os.environ, PYRIGHT_PYTHON_FORCE_VERSION="", NODE_OPTIONS="")
    r = subprocess.run([str(exe), "-p", str(tmp_path / "pyrightconfig.json"), "--outputjson"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    try:
        return json.loads(r.stdout)
    except ValueError:
        pytest.fail("pyright gave no JSON: " + (r.stdout + r.stderr)[-2000:])


def _messages(report):
    return ["%s:%d %s" % (pathlib.Path(d["file"]).name, d["range"]["start"]["line"] + 1,
                          d["message"]) for d in report["generalDiagnostics"]]


def test_pyright_against_esp32s3_stubs(tmp_path):
    report = _pyright(tmp_path, [FIRMWARE])
    assert report["summary"]["filesAnalyzed"] >= len(firmware_files())
    assert report["summary"]["errorCount"] == 0, "\n".join(_messages(report))


def test_pyright_gate_catches_misuse(tmp_path):
    bad = tmp_path / "src"
    bad.mkdir()
    (bad / "misuse.py").write_text(
        "import time\nimport machine\n"
        "time.sleep_ms('10')\n"
        "machine.I2C(0).nonexistent_method()\n")
    report = _pyright(tmp_path, [bad])
    assert report["summary"]["errorCount"] >= 2, "\n".join(_messages(report))
