"""Detector speed: ``python -m twitchwatch.bench.speed [--hours 10] [--repeats 3]``
(also ``twitchwatch bench speed``).

1. ``twitchwatch analyze --json FILE > /dev/null`` on a long 208 Hz accel+gyro ``.twr`` file, as a
   subprocess pinned to one core (``taskset -c 0`` when available) and in-process (this process
   pinned with ``sched_setaffinity``), median of ``--repeats`` runs; peak RSS from ``getrusage``.
   Target: >= 5,000x real time (10 h in <= 7.2 s).
2. The floor, measured in the same run: a bare ``scipy.signal.sosfilt`` of the detector's
   4th-order band-pass over the same samples (3 axes), and the ratio of analyze to it.
3. Streaming cost: median (and 99th percentile) time of one ``TwitchDetector.process`` call on a
   50 ms chunk, without and with the trace the live view uses. Target: <= 0.5 ms median.

The long file is simulated in one-hour pieces (different seeds, orientation and gyro bias
carried across pieces, as the simulated sensor does) and appended with the io ``NativeWriter``
into a temporary folder that is deleted afterwards; ``--tile`` instead repeats one simulated
hour (faster to generate, less varied).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import signal

from ..detect import DetectorParams, TwitchDetector
from ..detect.summary import run_detector, summarise
from ..io import read_recording
from ..io.native import NativeWriter
from ..model.simulate import SimConfig, simulate

FS_HZ = 208.0
TARGET_REALTIME_X = 5000.0
TARGET_CHUNK_MS = 0.5


def generate(path: Path, hours: float, fs_hz: float = FS_HZ, tile: bool = False, piece_s: float = 3600.0) -> dict:
    """Write ``hours`` of simulated wear to ``path`` (.twr) piece by piece; bounded memory."""
    base = SimConfig(duration_s=piece_s, fs_hz=fs_hz, seed=0, movement_fraction=0.25,
                     gyro_bias_dps=(0.4, -0.3, 0.2))
    total_s = hours * 3600.0
    t0 = time.perf_counter()
    twitches = 0
    with NativeWriter.create(path, fs_hz=fs_hz, has_gyro=True, start_wall_s=base.start_wall_s,
                             device="simulated", site=base.site, side=base.side,
                             meta={"source": "twitchwatch bench speed"}, accel_range_g=4, gyro_range_dps=500,
                             background_flush=False) as writer:
        done_s, k, gravity = 0.0, 0, base.initial_gravity
        tile_rec, tile_truth = None, None
        while done_s < total_s - 1e-9:
            length_s = min(piece_s, total_s - done_s)
            if tile:
                if tile_rec is None or tile_truth is None:
                    tile_rec, tile_truth = simulate(base)
                rec = tile_rec
                n = int(round(length_s * fs_hz))
                accel, gyro = rec.accel_g[:n], rec.gyro_dps[:n]          # type: ignore[index]
                twitches += sum(t.onset_s < length_s for t in tile_truth.twitches)
            else:
                rec, truth = simulate(replace(base, duration_s=length_s, seed=k, initial_gravity=gravity))
                tail = rec.accel_g[-int(0.5 * fs_hz):].mean(axis=0)
                gravity = tuple(tail / np.linalg.norm(tail))
                accel, gyro = rec.accel_g, rec.gyro_dps
                twitches += len(truth.twitches)
            writer.append(accel, gyro)
            done_s += accel.shape[0] / fs_hz
            k += 1
        clipped = writer.clipped_samples
    return {"seconds": time.perf_counter() - t0, "size_bytes": path.stat().st_size,
            "clipped_samples": clipped, "true_twitches": twitches, "pieces": k}


def _median_s(fn, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def _maxrss_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0      # Linux reports KiB


def analyze_command(path: Path) -> list[str]:
    cmd = [sys.executable, "-m", "twitchwatch", "analyze", "--json", str(path)]
    return (["taskset", "-c", "0"] + cmd) if shutil.which("taskset") else cmd


def _run_watching_rss(cmd: list[str]) -> float | None:
    """Run ``cmd`` to completion; return its peak RSS in MB from /proc VmHWM (None if unavailable).

    ``getrusage(RUSAGE_CHILDREN)`` would be wrong here: on Linux a child's ``ru_maxrss`` starts
    from the parent's size at fork, and this process holds the generated data. VmHWM belongs to
    the child's own address space and only grows, so the last value read before exit is its peak.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    status = Path(f"/proc/{proc.pid}/status")
    peak_kb: int | None = None
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb or 0, int(line.split()[1]))
        except (OSError, ValueError, IndexError):
            pass
        time.sleep(0.01)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return None if peak_kb is None else peak_kb / 1024.0


def bench_subprocess(path: Path, repeats: int) -> dict:
    cmd = analyze_command(path)
    _run_watching_rss(cmd)          # warm the page cache and the .pyc files; not timed
    times, peaks = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        peaks.append(_run_watching_rss(cmd))
        times.append(time.perf_counter() - t)
    known = [p for p in peaks if p is not None]
    return {"command": " ".join(cmd) + " > /dev/null", "median_s": statistics.median(times),
            "peak_rss_mb": max(known) if known else None}


def bench_in_process(path: Path, repeats: int) -> dict:
    params = DetectorParams()
    parts: dict[str, list[float]] = {"read": [], "detect": [], "json": [], "total": []}
    text = ""
    for _ in range(repeats):
        t0 = time.perf_counter()
        rec = read_recording(path)
        t1 = time.perf_counter()
        out = run_detector(rec, params)
        t2 = time.perf_counter()
        text = json.dumps(summarise(rec, out, params, file=str(path)))
        t3 = time.perf_counter()
        for key, dt in (("read", t1 - t0), ("detect", t2 - t1), ("json", t3 - t2), ("total", t3 - t0)):
            parts[key].append(dt)
        del rec, out
    return {**{f"{k}_s": statistics.median(v) for k, v in parts.items()}, "json_bytes": len(text),
            "twitches": json.loads(text)["twitches"].__len__()}


def bench_floor(path: Path, repeats: int) -> dict:
    """A bare sosfilt of the detector's band-pass (same order and band) over all samples, 3 axes."""
    params = DetectorParams()
    rec = read_recording(path)
    accel = np.nan_to_num(rec.accel_g)
    sos = np.asarray(signal.butter(params.band_order, list(params.band_hz), btype="bandpass", fs=rec.fs_hz,
                                   output="sos"))
    median, _ = _median_s(lambda: signal.sosfilt(sos, accel, axis=0), repeats)   # output discarded
    return {"median_s": median, "sections": int(sos.shape[0])}


def bench_streaming(fs_hz: float, seconds: float, chunk_s: float = 0.05) -> dict:
    """Per-call cost of the streaming detector on 50 ms chunks (median and p99, ms)."""
    rec, _ = simulate(SimConfig(duration_s=seconds, fs_hz=fs_hz, seed=11, movement_fraction=0.25,
                                episodes_per_hour=60, isolated_per_hour=120))
    step = max(1, int(round(chunk_s * fs_hz)))
    result: dict = {"chunk_samples": step}
    for keep_trace in (False, True):
        det = TwitchDetector(fs_hz, DetectorParams(), keep_trace=keep_trace)
        times = []
        for start in range(0, rec.n_samples, step):
            a = rec.accel_g[start:start + step]
            g = rec.gyro_dps[start:start + step]          # type: ignore[index]
            t = time.perf_counter_ns()
            det.process(a, g)
            times.append(time.perf_counter_ns() - t)
        det.finish()
        ms = np.asarray(times) / 1e6
        key = "with_trace" if keep_trace else "plain"
        result[key] = {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)),
                       "calls": len(times)}
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="twitchwatch bench speed", description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--hours", type=float, default=10.0, help="length of the analysed file (default 10)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per measurement (median; default 3)")
    ap.add_argument("--tile", action="store_true", help="repeat one simulated hour instead of simulating each hour")
    ap.add_argument("--stream-s", type=float, default=600.0, help="simulated seconds for the streaming part")
    ap.add_argument("--no-subprocess", action="store_true", help="skip the subprocess timing")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON object")
    args = ap.parse_args(argv)
    if not 0 < args.hours <= 48 or args.repeats < 1:
        ap.error("--hours must be in (0, 48] and --repeats at least 1")

    pinned = "no"
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
            pinned = "yes"
        except OSError:
            pass

    report: dict = {"hours": args.hours, "fs_hz": FS_HZ, "repeats": args.repeats, "in_process_pinned": pinned}
    say = (lambda *a, **k: None) if args.json else print
    with tempfile.TemporaryDirectory(prefix="twitchwatch-speed-") as tmp:
        path = Path(tmp) / "long.twr"
        say(f"generating {args.hours:g} h at {FS_HZ:g} Hz with gyro "
            f"({'one simulated hour, tiled' if args.tile else 'simulated hour by hour'}) ...", flush=True)
        report["file"] = gen = generate(path, args.hours, tile=args.tile)
        duration_s = args.hours * 3600.0
        say(f"  {gen['size_bytes'] / 1e6:.0f} MB .twr in {gen['seconds']:.1f} s, {gen['pieces']} pieces, "
            f"{gen['true_twitches']} simulated twitches, {gen['clipped_samples']} clipped samples")

        if not args.no_subprocess:
            sub = report["subprocess"] = bench_subprocess(path, args.repeats)
            sub["realtime_x"] = duration_s / sub["median_s"]
            say(f"\nanalyze as a subprocess: {sub['command']}")
            say(f"  median {sub['median_s']:.2f} s = {sub['realtime_x']:,.0f}x real time "
                f"(target >= {TARGET_REALTIME_X:,.0f}x, <= {duration_s / TARGET_REALTIME_X:.1f} s); "
                + ("peak RSS unknown (no /proc)" if sub["peak_rss_mb"] is None
                   else f"peak RSS {sub['peak_rss_mb']:.0f} MB"))

        inp = report["in_process"] = bench_in_process(path, args.repeats)
        inp["realtime_x"] = duration_s / inp["total_s"]
        inp["peak_rss_mb"] = _maxrss_mb(resource.RUSAGE_SELF)
        say(f"\nanalyze in-process (pinned to one core: {pinned}): read + detect + JSON")
        say(f"  median {inp['total_s']:.2f} s = {inp['realtime_x']:,.0f}x real time "
            f"(read {inp['read_s']:.2f} s, detect {inp['detect_s']:.2f} s, JSON {inp['json_s']:.3f} s; "
            f"{inp['twitches']} twitches); peak RSS of this process {inp['peak_rss_mb']:.0f} MB "
            "(includes generating the file)")

        floor = report["floor"] = bench_floor(path, args.repeats)
        say(f"\nfloor: bare scipy.signal.sosfilt, order-{DetectorParams().band_order} band-pass "
            f"({floor['sections']} sections), 3 axes, same samples: median {floor['median_s']:.2f} s")
        say(f"  in-process analyze / floor = {inp['total_s'] / floor['median_s']:.1f}x; "
            f"detect only / floor = {inp['detect_s'] / floor['median_s']:.1f}x"
            + ("" if args.no_subprocess else
               f"; subprocess analyze / floor = {report['subprocess']['median_s'] / floor['median_s']:.1f}x"))

    st = report["streaming"] = bench_streaming(FS_HZ, args.stream_s)
    say(f"\nstreaming: TwitchDetector.process on 50 ms chunks ({st['chunk_samples']} samples), "
        f"{st['plain']['calls']} calls")
    for key in ("plain", "with_trace"):
        v = st[key]
        say(f"  {key:10s} median {v['median_ms']:.3f} ms, p99 {v['p99_ms']:.3f} ms "
            f"(target <= {TARGET_CHUNK_MS} ms median)")
    if args.json:
        print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
