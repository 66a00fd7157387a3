"""Recording I/O speed: ``python -m twitchwatch.bench.io_speed [--hours 10] [--repeats 5]``.

Writes a long 208 Hz accel+gyro ``.twr`` the way a live session does (one block per second),
then prints its size, the median time to open and decode it, and the floor: a bare
``np.fromfile`` of the same bytes, measured in the same run. Also: the cost of one
flush+fsync, and interchange CSV read/write speed (1 h synthetic; a real HA24 clip if present).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ..io import read_recording, write_recording
from ..io.native import NativeWriter, read_native
from ..recording import Recording

FS_HZ = 208.0
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "ha24-dev"


def _median_s(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def _pool(seconds: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A minute of plausible still-hand data (gravity + noise + tremor) to cycle through."""
    rng = np.random.default_rng(seed)
    n = int(seconds * FS_HZ)
    t = np.arange(n) / FS_HZ
    acc = np.array([0.05, -0.2, 0.97]) + rng.normal(0, 0.004, (n, 3)) + 0.01 * np.sin(2 * np.pi * 9 * t)[:, None]
    gyr = rng.normal(0, 1.5, (n, 3)) + 3 * np.sin(2 * np.pi * 0.3 * t)[:, None]
    return acc, gyr


def bench_native(folder: Path, hours: float, repeats: int) -> None:
    path = folder / "long.twr"
    acc, gyr = _pool(60)
    per_block = int(FS_HZ)
    n_blocks = int(hours * 3600)
    t = time.perf_counter()
    with NativeWriter.create(path, fs_hz=FS_HZ, has_gyro=True, start_wall_s=time.time(), background_flush=False) as w:
        for k in range(n_blocks):
            a = (k % 60) * per_block
            w.append(acc[a:a + per_block], gyr[a:a + per_block])
            w.flush()
    write_s = time.perf_counter() - t
    size = path.stat().st_size
    n = n_blocks * per_block
    print(f".twr {hours:g} h at {FS_HZ:g} Hz with gyro: {n} samples, {n_blocks} blocks")
    print(f"  file size            {size / 1e6:8.1f} MB  ({size / n:.2f} bytes/sample)")
    print(f"  write (1 s blocks)   {write_s:8.2f} s   ({write_s / n_blocks * 1e6:.0f} us per 1 s block)")
    decode = _median_s(lambda: read_native(path), repeats)
    floor = _median_s(lambda: np.fromfile(path, dtype=np.int16), repeats)
    print(f"  open+decode median   {decode:8.3f} s   (n={repeats})")
    print(f"  np.fromfile floor    {floor:8.3f} s   ratio {decode / floor:.1f}x")

    # One live second: append 208 samples, flush, fsync. fsync is the durable part.
    live = folder / "fsync.twr"
    writes: list[float] = []
    syncs: list[float] = []
    with NativeWriter.create(live, fs_hz=FS_HZ, has_gyro=True, background_flush=False,
                             fsync_interval_s=1e9) as w:
        for k in range(20):
            w.append(acc[:per_block], gyr[:per_block])
            t = time.perf_counter()
            w.flush()
            writes.append(time.perf_counter() - t)
            fd = w._fd  # noqa: SLF001 - measuring the writer's own descriptor
            assert fd is not None
            t = time.perf_counter()
            os.fsync(fd)
            syncs.append(time.perf_counter() - t)
    print(f"  flush (os.write) median {statistics.median(writes) * 1e3:6.3f} ms; "
          f"fsync median {statistics.median(syncs) * 1e3:6.3f} ms (at most once per second)")


def bench_csv(folder: Path, repeats: int) -> None:
    acc, gyr = _pool(60)
    reps = 60
    rec = Recording(FS_HZ, np.tile(acc, (reps, 1)), np.tile(gyr, (reps, 1)))
    for name in ("hour.csv", "hour.csv.gz"):
        path = folder / name
        t = time.perf_counter()
        write_recording(rec, path)
        write_s = time.perf_counter() - t
        read_s = _median_s(lambda: read_recording(path), max(1, repeats // 2))
        print(f"{name:12s} 1 h at {FS_HZ:g} Hz with gyro: {path.stat().st_size / 1e6:6.1f} MB, "
              f"write {write_s:5.2f} s, read median {read_s:5.2f} s")
    clips = sorted(SHARED.glob("*.csv.gz"))[:10]
    if not clips:
        print(f"HA24 clips: skipped ({SHARED} not present)")
        return
    times = [_median_s(lambda c=c: read_recording(c), 3) for c in clips]
    print(f"HA24 150 s clips (.csv.gz): median read {statistics.median(times) * 1e3:.1f} ms over {len(clips)} clips")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Recording I/O speed benchmark")
    parser.add_argument("--hours", type=float, default=10.0, help="length of the .twr recording (default 10)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats for medians (default 5)")
    parser.add_argument("--skip-csv", action="store_true", help="only benchmark .twr")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="tw-io-bench-") as tmp:
        bench_native(Path(tmp), args.hours, args.repeats)
        if not args.skip_csv:
            bench_csv(Path(tmp), args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
