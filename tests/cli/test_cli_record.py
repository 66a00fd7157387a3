"""``twitchwatch record`` and the diary: the simulated BLE sensor (a Bumble virtual radio, in
this process) recorded through the real command. What the diary then holds must be what
``analyze --json`` finds in the recorded .twr; ``--no-diary`` must not touch the diary."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from twitchwatch import cli
from twitchwatch.ble import protocol as P
from twitchwatch.ble import sim_peripheral
from twitchwatch.commands import record
from twitchwatch.io.native import read_native
from twitchwatch.model.twitch import TwitchShape, render
from twitchwatch.store import Store, queries

FS_HZ = 208
PERIOD = 100          # one twitch every 0.48 s: a few land in the first monitored seconds


def _twitching_signal():
    """The simulated sensor's raw samples: still, on gravity, with a clear twitch every PERIOD
    samples (the demo day's first twitches come about 10 s in: too late for a 4 s recording)."""
    cfg = sim_peripheral.PeripheralConfig()
    a_lsb = float(P.ACCEL_G_PER_LSB[P.ACCEL_RANGES_G.index(cfg.accel_range_g)])
    g_lsb = float(P.GYRO_DPS_PER_LSB[P.GYRO_RANGES_DPS.index(cfg.gyro_range_dps)])
    accel, _, rate_dps = render(TwitchShape(peak_g=0.05), FS_HZ)

    def signal(first_index: int, n: int) -> np.ndarray:
        k = np.arange(first_index, first_index + n, dtype=np.int64)
        noise = ((k[:, None] * np.array([2654435761, 40503, 2246822519, 3266489917, 668265263,
                                         374761393]) >> 7) % 9) - 4
        out = noise.astype(np.float64)
        out[:, 2] += 1.0 / a_lsb
        phase = k % PERIOD
        inside = phase < len(accel)
        out[inside, :3] += accel[phase[inside]] / a_lsb
        out[inside, 3] += rate_dps[phase[inside]] / g_lsb
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)

    return signal


@pytest.fixture
def twitching_sim_ble(monkeypatch):
    """``--sensor sim-ble`` streams the twitching signal from a sensor switched on 10 minutes
    ago, so its sample counter is far from 0 (the command's code path is unchanged)."""
    real = sim_peripheral.make_link_pair
    signal = _twitching_signal()

    def make_link_pair(config=sim_peripheral.PeripheralConfig(), _signal=None):
        return real(replace(config, start_index=600 * FS_HZ), signal)

    monkeypatch.setattr(sim_peripheral, "make_link_pair", make_link_pair)


def _main(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_recorded_session_is_in_the_diary_as_analyze_sees_the_file(tmp_path, capsys, monkeypatch,
                                                                   twitching_sim_ble):
    monkeypatch.delenv("TWITCHWATCH_DATA", raising=False)
    data, out = tmp_path / "diary", tmp_path / "day.twr"
    t0 = time.time()
    code, stdout, err = _main(capsys, "record", "--sensor", "sim-ble", "--diary", "--duration", "4",
                              "--out", str(out), "--site", "Thenar", "--side", "left",
                              "--data-dir", str(data), "--json")
    assert code == 0, err
    t1 = time.time()
    result = json.loads(stdout.splitlines()[-1])
    sid = result["session_id"]
    assert isinstance(sid, int)

    code, stdout, err = _main(capsys, "analyze", "--json", str(out))
    assert code == 0, err
    ana = json.loads(stdout)
    n_tw, n_ep = len(ana["twitches"]), len(ana["episodes"])
    assert n_tw >= 1, "nothing to count: the test could not fail"

    with Store.open(data, readonly=True) as store:
        s = queries.session(store, sid)
        tws = queries.twitches(store, 0, 2e10, sid)
        assert [r.id for r in queries.sessions(store)] == [sid]
    assert s is not None and s.status == "ended"
    assert (s.n_twitches, s.n_episodes) == (n_tw, n_ep) == (result["twitches"], result["episodes"])
    assert s.monitored_s == pytest.approx(ana["monitored_s"], abs=1e-3) and s.monitored_s > 0
    assert s.detector == ana["detector"] and s.detector_version == ana["detector"]["version"]
    assert (s.site, s.side) == ("thenar", "left") == (ana["site"], ana["side"])
    assert s.device == "TWW-SIM"
    assert (data / s.recording).resolve() == out.resolve()
    assert s.n_samples == read_native(out).n_samples
    assert s.duration_s == pytest.approx(ana["duration_s"], abs=1e-3)
    # Wall-clock times are now (not the sensor's power-on) and agree with the file's, so twitch
    # times in the diary are where the file has them.
    assert t0 < s.started_wall_s < s.ended_wall_s < t1
    assert s.started_wall_s == pytest.approx(ana["start_wall_s"], abs=1e-3)
    assert [t.wall_s for t in tws] == pytest.approx(
        [ana["start_wall_s"] + t["onset_s"] for t in ana["twitches"]], abs=1e-3)
    assert s.ledger == result["ledger"] and s.ledger["samples_expected"] > 0
    assert not out.with_suffix(".lock").exists()

    # ... and the user sees it in `twitchwatch diary sessions`.
    code, listing, err = _main(capsys, "diary", "sessions", "--data-dir", str(data))
    assert code == 0, err
    (row,) = [line for line in listing.splitlines() if line.split()[0] == str(sid)]
    assert "left thenar" in row and row.split()[-3:] == [str(n_tw), str(n_ep), "ended"]


def _files(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_no_diary_leaves_the_diary_untouched(tmp_path, capsys, monkeypatch):
    data, out = tmp_path / "diary", tmp_path / "day.twr"
    monkeypatch.setenv("TWITCHWATCH_DATA", str(data))        # the diary record would use
    assert _main(capsys, "diary", "note", "before recording", "--caffeine", "80")[0] == 0
    before = _files(data)

    # A sensor that is not sim-ble, so only --no-diary keeps it out (the simulated one serves it).
    open_source = record._open_source

    async def real_looking(name):
        assert name == "TWW-1A2B"
        return await open_source(record.SIM_BLE)

    monkeypatch.setattr(record, "_open_source", real_looking)
    code, stdout, err = _main(capsys, "record", "--sensor", "TWW-1A2B", "--no-diary", "--duration", "0.5",
                              "--out", str(out), "--site", "calf", "--side", "right")
    assert code == 0, err
    assert "not saved in the diary (--no-diary)" in stdout
    rec = read_native(out)
    assert rec.n_samples > 50 and (rec.site, rec.side) == ("calf", "right")
    assert not out.with_suffix(".lock").exists()
    assert _files(data) == before


def test_sim_ble_stays_out_of_the_diary_unless_asked():
    def parse(*argv: str):
        return cli.build_parser().parse_args(["record", "--out", "x.twr", *argv])

    assert record.wants_diary(parse("--sensor", "TWW-1A2B"))
    assert record.wants_diary(parse())                                  # the remembered sensor
    assert not record.wants_diary(parse("--sensor", "TWW-1A2B", "--no-diary"))
    assert not record.wants_diary(parse("--sensor", "sim-ble"))
    assert record.wants_diary(parse("--sensor", "sim-ble", "--diary"))


@pytest.mark.parametrize("argv, words", [
    (["--site", "knee"], ["'knee'", "thenar, calf, thigh, sole, other"]),
    (["--side", "middle"], ["'middle'", "left or right"]),
    (["--duration", "-1"], ["--duration", "positive"]),
    (["--out", "{tmp}/day.csv"], [".twr"]),
    (["--out", "{tmp}/nope/day.twr"], ["does not exist"]),
    (["--out", "{tmp}/old.twr"], ["already exists"]),
])
def test_bad_arguments_are_one_line_before_connecting(tmp_path, capsys, argv, words):
    (tmp_path / "old.twr").write_bytes(b"keep me")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    base = ["record", "--sensor", "TWW-1A2B", "--out", str(tmp_path / "day.twr"), "--data-dir", str(tmp_path / "d")]
    code, stdout, err = _main(capsys, *base, *argv)
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("twitchwatch: ") and "Traceback" not in err
    for word in words:
        assert word in err
    # Refused before anything happened: no file, no diary, the old file intact.
    assert not (tmp_path / "day.twr").exists() and not (tmp_path / "d").exists()
    assert (tmp_path / "old.twr").read_bytes() == b"keep me"


def test_out_suffix_in_capitals_is_a_twr(tmp_path):
    assert record._check_out(str(tmp_path / "Day.TWR")) == tmp_path / "Day.TWR"


def _hard_knock_signal(cfg: sim_peripheral.PeripheralConfig):
    """Still on gravity, with a knock every 0.25 s far beyond ±4 g / ±500 dps but within the
    sensor's full scale (±8 g / ±1000 dps by default): KNOCKS gives the values in g and dps."""
    a_lsb = float(P.ACCEL_G_PER_LSB[P.ACCEL_RANGES_G.index(cfg.accel_range_g)])
    g_lsb = float(P.GYRO_DPS_PER_LSB[P.GYRO_RANGES_DPS.index(cfg.gyro_range_dps)])
    knocks = np.array([[7.5, -6.0, 1.0, 950.0, -700.0, 0.0],
                       [-7.9, 5.0, 1.0, -990.0, 800.0, 0.0]])
    raw_knocks = np.round(knocks / np.array([a_lsb] * 3 + [g_lsb] * 3))

    def signal(first_index: int, n: int) -> np.ndarray:
        k = np.arange(first_index, first_index + n, dtype=np.int64)
        out = np.zeros((n, 6))
        out[:, 2] = round(1.0 / a_lsb)
        for j, row in enumerate(raw_knocks):
            out[k % 52 == 26 * j] = row
        return out.astype(np.int16)

    return signal, raw_knocks * np.array([a_lsb] * 3 + [g_lsb] * 3)


@pytest.mark.parametrize("diary", [False, True], ids=["no-diary", "diary"])
def test_the_twr_keeps_the_sensors_full_scale(tmp_path, capsys, monkeypatch, diary):
    """Values the sensor measured beyond ±4 g / ±500 dps reach the file unclipped, whichever
    recorder (file only, or the diary's) writes it."""
    real = sim_peripheral.make_link_pair
    knocks = {}

    def make_link_pair(config=sim_peripheral.PeripheralConfig(), _signal=None):
        signal, knocks["values"] = _hard_knock_signal(config)
        return real(config, signal)

    monkeypatch.setattr(sim_peripheral, "make_link_pair", make_link_pair)
    out = tmp_path / "knocks.twr"
    where = ["--diary", "--data-dir", str(tmp_path / "diary")] if diary else ["--no-diary"]
    code, _stdout, err = _main(capsys, "record", "--sensor", "sim-ble", "--duration", "0.6",
                               "--out", str(out), *where)
    assert code == 0, err
    rec = read_native(out)
    assert rec.gyro_dps is not None and rec.n_samples > 52
    values = np.hstack([rec.accel_g, rec.gyro_dps])
    values = values[np.isfinite(values).all(axis=1)]
    knocked = values[np.abs(values[:, 0]) > 2]
    assert len(knocked) >= 2, "no knock was recorded: the test could not fail"
    # Every knock is in the file as the sensor sent it (to float rounding), and nothing clipped.
    for row in knocked:
        assert np.abs(knocks["values"] - row).max(axis=1).min() < 1e-9
    assert {tuple(np.sign(r[:1])) for r in knocked} == {(1.0,), (-1.0,)}
    assert "clipped_samples" not in rec.meta


def test_sim_ble_demo_recording_counts_twitches(tmp_path, capsys, monkeypatch):
    """``--sensor sim-ble`` streams the project's simulated day (the model the simulated
    source streams): a ~15 s recording of it, through the BLE packet path and the record
    command, counts twitches. Run 4x faster than real time, connected without a scan."""
    from bleak.backends.device import BLEDevice

    from twitchwatch.ble.source import BleSensorSource, LinkParams

    speed = 4.0

    async def sped_up(name):
        assert name == record.SIM_BLE
        cfg = replace(sim_peripheral.PeripheralConfig(), speed=speed, max_step_s=0.02)
        sensor, host = sim_peripheral.make_link_pair(cfg)
        await sensor.start()
        params = LinkParams(time_scale=speed, remember=False, connect_timeout_s=3.0)
        return BleSensorSource(BLEDevice(cfg.address, cfg.name, None), bumble=host, params=params), sensor

    monkeypatch.setattr(record, "_open_source", sped_up)
    out = tmp_path / "demo.twr"
    code, stdout, err = _main(capsys, "record", "--sensor", "sim-ble", "--duration", str(16 / speed),
                              "--out", str(out), "--json")
    assert code == 0, err
    result = json.loads(stdout.splitlines()[-1])
    assert read_native(out).duration_s > 10
    assert result["monitored_s"] > 5                # still periods ...
    assert result["twitches"] >= 1                  # ... with twitches in them
