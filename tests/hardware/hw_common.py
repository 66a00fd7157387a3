"""Shared loaders for the hardware tests: paths, the pin map and the firmware's config module.

Named hw_common (not conftest) so it cannot clash with other test folders' helpers; the
fixtures are re-exported by tests/hardware/conftest.py."""

from __future__ import annotations

import importlib.util
import os
import runpy
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[2]
HW = REPO / "hardware"
FIRMWARE_CONFIG = REPO / "firmware" / "config.py"


@pytest.fixture(scope="session")
def pins() -> dict:
    with open(HW / "pins.toml", "rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="session")
def fw_config() -> dict:
    """The module-level names of firmware/config.py, loaded by path under CPython."""
    if not FIRMWARE_CONFIG.exists():
        pytest.fail(
            f"{FIRMWARE_CONFIG.relative_to(REPO)} is missing: the pin map cannot be checked "
            "against the firmware until the firmware defines its wiring constants there"
        )
    return runpy.run_path(str(FIRMWARE_CONFIG))


def load_script(path: Path, name: str) -> ModuleType:
    """Import one of the plain-Python hardware scripts by its path (they are not a package)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None, f"cannot load {path}"
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod      # dataclasses look their module up while the class is built
    spec.loader.exec_module(mod)
    return mod
