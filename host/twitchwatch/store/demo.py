"""A synthetic diary for benchmarks, tests and demos (clearly marked as simulated).

Two things are made, and they are different on purpose:

* ``synthesise_days`` writes weeks of sessions, detector results, notes, felt taps and
  check-ins **directly into the diary** (no raw samples; it models what a detector would
  have stored: 10 h a day at 208 Hz, ~70 % of it still, twitches at a few dozen per still
  hour with more in the evening and on high-caffeine/stress days, episodes of 3–5 s).
* ``record_simulated_session`` runs the real path for a short session: the simulator's
  recording, the batch detector, and a :class:`SessionRecorder` writing a real ``.twr`` file,
  so the report has genuine example traces.
"""

from __future__ import annotations

import os
from datetime import date, datetime, time as dtime, timedelta

import numpy as np

from ..detect.events import Episode, Span, Twitch
from . import writes
from .db import Store
from .recorder import SessionRecorder

FS_HZ = 208.0


def _session_events(rng: np.random.Generator, n: int, base_rate_h: float, evening: float):
    """Spans, twitches and episodes for one synthetic session of ``n`` samples."""
    spans, twitches, episodes = [], [], []
    i = 0
    while i < n:
        still = int(rng.uniform(120, 1500) * FS_HZ)
        a, b = i, min(n, i + still)
        spans.append(Span(a, b))
        hours = (b - a) / FS_HZ / 3600
        rate = base_rate_h * evening
        # isolated twitches
        for onset in np.sort(rng.integers(a, b, rng.poisson(rate * 0.6 * hours))):
            twitches.append(Twitch(int(onset), int(onset + 0.06 * FS_HZ), int(onset + 0.02 * FS_HZ),
                                   float(rng.lognormal(np.log(0.03), 0.5))))
        # episodes: 3–5 s runs of twitches ~0.55 s apart
        for start in np.sort(rng.integers(a, max(a + 1, b - int(6 * FS_HZ)), rng.poisson(rate / 14 * hours))):
            k = int(rng.integers(4, 10))
            onsets = start + np.cumsum(np.r_[0, rng.uniform(0.35, 0.75, k - 1)] * FS_HZ).astype(int)
            peak = float(rng.lognormal(np.log(0.04), 0.4))
            tw = [Twitch(int(o), int(o + 0.06 * FS_HZ), int(o + 0.02 * FS_HZ), peak * rng.uniform(0.6, 1.0))
                  for o in onsets]
            twitches.extend(tw)
            episodes.append(Episode(tw[0].onset, tw[-1].offset, tuple(t.onset for t in tw), peak))
        i = b + int(rng.uniform(20, 400) * FS_HZ)   # a stretch of movement
    twitches.sort(key=lambda t: t.onset)
    return spans, twitches, episodes


def synthesise_days(data_dir: str | os.PathLike[str] | None, days: int = 30, hours_per_day: float = 10.0,
                    *, seed: int = 1, last_day: date | None = None, detector_info: dict | None = None) -> None:
    """Fill the diary with ``days`` simulated days ending ``last_day`` (default: yesterday)."""
    from .rerun import current_detector_info

    rng = np.random.default_rng(seed)
    last_day = last_day or (date.today() - timedelta(days=1))
    info = detector_info or current_detector_info()
    with Store.open(data_dir) as store:
        for k in range(days):
            day = last_day - timedelta(days=days - 1 - k)
            caffeine = float(rng.choice([0, 80, 160, 240, 320]))
            stress = int(rng.integers(1, 9))
            sleep = float(rng.choice([5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0]))
            base = 9.0 * (1 + caffeine / 400) * (1 + stress / 12) * (8.5 / (sleep + 1.5))
            site, side = ("calf", "right") if k % 7 == 5 else ("thenar", "left")
            halves = [(8.0, hours_per_day / 2), (13.5, hours_per_day / 2)]
            felt_walls: list[tuple[float, str, str]] = []
            for start_h, dur_h in halves:
                start = datetime.combine(day, dtime()).astimezone().timestamp() + start_h * 3600
                n = int(dur_h * 3600 * FS_HZ)
                sid = writes.new_session(store, started_wall_s=start, fs_hz=FS_HZ, has_gyro=True,
                                         site=site, side=side, device="simulated", detector_info=info)
                spans, tws, eps = _session_events(rng, n, base, 1.3 if start_h > 12 else 0.9)
                # The wearer notices some episodes and taps "I felt a twitch" a second or two later.
                for e in eps:
                    if rng.random() < 0.12:
                        felt_walls.append((start + e.start / FS_HZ + float(rng.uniform(0.5, 2.5)), site, side))
                lost = int(n * rng.uniform(0.0, 0.004))
                with store.write() as conn:
                    writes.insert_output(conn, sid, FS_HZ, start, tws, eps, spans)
                writes.end_session(store, sid, n_samples=n, ledger={
                    "samples_expected": n, "received_live": n - lost, "lost": lost,
                    "reconnects": int(rng.random() < 0.15)})
            noon = datetime.combine(day, dtime(12)).astimezone().timestamp()
            writes.add_note(store, wall_s=noon - 3 * 3600, caffeine_mg=caffeine or None, sleep_h=sleep,
                            stress_0_10=stress, exercise_min=float(rng.choice([0, 0, 30, 45, 60])) or None,
                            alcohol_units=float(rng.choice([0, 0, 0, 1, 2])) or None,
                            medication="magnesium" if k % 3 == 0 else "")
            if k % 4 == 1:
                writes.add_note(store, wall_s=noon + 5 * 3600, text=str(rng.choice([
                    "Twitching in the left thumb after the meeting, visible for a few seconds.",
                    "Quiet morning, a few twitches while reading.",
                    "Long run in the evening; calf flickering afterwards.",
                    "Poor night, more twitches than usual in the afternoon.",
                ])))
            for wall, f_site, f_side in felt_walls:
                writes.add_felt(store, wall_s=wall, site=f_site, side=f_side)
            if rng.random() < 0.5:   # and sometimes feels one the sensor did not see
                writes.add_felt(store, wall_s=noon + float(rng.uniform(-3, 6)) * 3600, site=site, side=side)
            if k % 7 == 0:
                writes.add_red_flags(store, {"weakness": False, "wasting": False, "cramps": bool(k % 14 == 0),
                                             "numbness_tingling": False, "speech_swallowing": False,
                                             "spread_new_sites": False}, wall_s=noon + 8 * 3600)


def record_simulated_session(data_dir: str | os.PathLike[str] | None, start_wall_s: float,
                             duration_s: float = 600.0, *, seed: int = 2, site: str = "thenar",
                             side: str = "left", chunk_s: float = 5.0, episodes_per_hour: float = 40.0) -> int:
    """Run simulator → detector → recorder for one short session; returns the session id."""
    from ..detect import DetectorParams, TwitchDetector, detector_info
    from ..model.simulate import SimConfig, simulate

    rec, _truth = simulate(SimConfig(duration_s=duration_s, fs_hz=FS_HZ, seed=seed, site=site, side=side,
                                     start_wall_s=start_wall_s, episodes_per_hour=episodes_per_hour))
    params = DetectorParams()
    det = TwitchDetector(rec.fs_hz, params)
    from ..io import smallest_full_scale

    accel_range_g, gyro_range_dps = smallest_full_scale(rec.accel_g, rec.gyro_dps)
    recorder = SessionRecorder(data_dir, flush_interval_s=0.5)
    sid = recorder.start(rec.fs_hz, rec.gyro_dps is not None, site, side, "simulated",
                         detector_info(params), start_wall_s, accel_range_g=accel_range_g,
                         gyro_range_dps=gyro_range_dps)
    step = int(chunk_s * rec.fs_hz)
    for a in range(0, rec.n_samples, step):
        acc = rec.accel_g[a:a + step]
        gyr = None if rec.gyro_dps is None else rec.gyro_dps[a:a + step]
        recorder.add_samples(acc, gyr)
        recorder.add_output(det.process(acc, gyr))
    recorder.add_output(det.finish())
    recorder.set_ledger({"samples_expected": rec.n_samples, "received_live": rec.n_samples, "lost": 0,
                         "reconnects": 0})
    recorder.close()
    return sid
