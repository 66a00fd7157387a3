"""Fixtures for the CLI tests: generated recordings, good and bad."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np
import pytest

from twitchwatch.io import write_recording
from twitchwatch.model.simulate import SimConfig, simulate

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def good_files(tmp_path_factory) -> dict[str, Path]:
    """Busy simulated recordings in each format: many twitches and episodes, movement, a gap."""
    folder = tmp_path_factory.mktemp("good")
    busy = dict(episodes_per_hour=240.0, isolated_per_hour=300.0, movement_fraction=0.2)
    rec, _ = simulate(SimConfig(duration_s=60.0, seed=5, **busy))
    files = {"csv.gz": folder / "busy.csv.gz", "twr": folder / "busy.twr"}
    write_recording(rec, files["csv.gz"])
    lossy, _ = simulate(SimConfig(duration_s=45.0, seed=6, **busy))
    lossy.accel_g[2000:2400] = np.nan              # ~2 s of lost samples
    lossy.gyro_dps[2000:2400] = np.nan             # type: ignore[index]
    write_recording(lossy, files["twr"])
    nogyro, _ = simulate(SimConfig(duration_s=30.0, fs_hz=104.0, seed=7, with_gyro=False, site="calf",
                                   side="left", **busy))
    files["csv"] = folder / "nogyro.csv"
    write_recording(nogyro, files["csv"])
    return files


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory) -> dict[str, Path]:
    """One file per kind of bad input; values are words the error line must contain."""
    folder = tmp_path_factory.mktemp("bad")
    head = "t_s,ax_g,ay_g,az_g\n"
    rows = "".join(f"{i / 208:.6f},0.01,-0.02,1.0\n" for i in range(50))
    files = {
        "empty": ("empty.csv", b""),
        "header": ("header.csv", b"time,x,y,z\n0,0,0,1\n"),
        "nan": ("nan.csv", (head + rows + "0.240385,nan,0,1\n").encode()),
        "backwards": ("backwards.csv", (head + rows + "0.100000,0.01,-0.02,1.0\n").encode()),
        "units": ("units.csv", b"t_s,ax_ms2,ay_ms2,az_ms2\n0,0,0,9.8\n0.0048,0,0,9.8\n"),
        "truncated": ("truncated.csv.gz", gzip.compress((head + rows * 40).encode())[:400]),
        "not_twr": ("garbage.twr", b"this is not a twitchwatch recording\n" * 10),
        "extension": ("notes.txt", (head + rows).encode()),
    }
    out = {}
    for kind, (name, data) in files.items():
        (folder / name).write_bytes(data)
        out[kind] = folder / name
    out["missing"] = folder / "does-not-exist.csv"
    return out
