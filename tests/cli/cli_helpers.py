"""Helpers shared by the CLI tests (a uniquely named module: several conftest.py exist)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "recordings" / "demo.csv.gz"


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 120.0) -> subprocess.CompletedProcess:
    """``python -m twitchwatch ARGS`` in a fresh interpreter, as a user would run it."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONWARNINGS": "error"}
    return subprocess.run([sys.executable, "-m", "twitchwatch", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)
