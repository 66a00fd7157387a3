"""Benchmark: CPU and memory of the whole desktop app (offscreen).

    python -m twitchwatch.bench.app_cpu [--seconds 10] [--repeats 3] [--hours 10]

1. CPU. The app (window, controller, live session, detector, plot) streams the simulated
   sensor in real time at 208 Hz with the plot's 60 s window drawn at up to 30 fps. Samples
   arrive in 40 chunks a second (``--chunk-s``), so there is always something new to draw and
   the plot really runs at its frame cap. The first 60 s are pushed at once so the window is
   full from the first measurement. CPU is
   ``process_time / wall`` (all threads) over ``--repeats`` windows of ``--seconds``; the same
   run measures a baseline with the plot's timer stopped, so the plot's own share shows.
   Target: ≤ 15 % of one core.
2. Memory. The same app streams ``--hours`` of simulated wear as fast as it can (1 s chunks),
   plot and counters running; resident memory is sampled every simulated hour. Target: the
   growth from the first hour to the end stays ≤ 20 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from typing import AsyncIterator

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

FS_HZ = 208.0
WINDOW_S = 60


def rss_mb() -> float:
    """Resident set size now (Linux /proc), else the peak from getrusage."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class PrefilledSimulated:
    """The simulated sensor with its first ``prefill_s`` delivered at once, then real time."""

    def __init__(self, prefill_s: float, duration_s: float | None = None, chunk_s: float = 0.05,
                 paced: bool = True) -> None:
        from ..model.simulate import SimConfig
        from ..sources.simulated import SimulatedSensor

        self._inner = SimulatedSensor(SimConfig(fs_hz=FS_HZ, seed=5), speed=None,
                                      duration_s=duration_s, chunk_s=chunk_s)
        self.name = "Simulated sensor"
        self.fs_hz = FS_HZ
        self.prefill_n = int(prefill_s * FS_HZ)
        self.paced = paced

    @property
    def state(self) -> str:
        return self._inner.state

    async def chunks(self) -> AsyncIterator:
        t0 = None
        async for chunk in self._inner.chunks():
            end = chunk.first_index + len(chunk)
            if self.paced and end > self.prefill_n:
                if t0 is None:
                    t0 = time.monotonic() - (end - self.prefill_n) / self.fs_hz
                delay = t0 + (end - self.prefill_n) / self.fs_hz - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            yield chunk

    async def stop(self) -> None:
        await self._inner.stop()


def make_app(data_dir: str):
    from ..ui.controller import AppController
    from ..ui.launch import open_settings
    from ..ui.main_window import MainWindow

    controller = AppController(data_dir)
    window = MainWindow(controller, open_settings(controller.data_dir))
    window.resize(1280, 820)
    window.plot.set_window_s(WINDOW_S)
    window.show()
    window.start()
    return controller, window


async def close_app(controller, window) -> None:
    done = asyncio.get_running_loop().create_future()
    window.on_closed = lambda: done.done() or done.set_result(None)
    window.close()
    await done
    await controller.close()


async def measure_cpu(data_dir: str, seconds: float, repeats: int, plot_on: bool,
                      chunk_s: float) -> tuple[list[float], list[float]]:
    controller, window = make_app(data_dir)
    await controller.start_source(PrefilledSimulated(prefill_s=WINDOW_S + 5, chunk_s=chunk_s), "simulated")
    if not plot_on:
        window.plot.stop()
    await asyncio.sleep(3.0)                       # prefill drained, caches warm
    cpu, fps = [], []
    for _ in range(repeats):
        f0, c0, w0 = window.plot.frames_drawn, time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        wall = time.perf_counter() - w0
        cpu.append(100.0 * (time.process_time() - c0) / wall)
        fps.append((window.plot.frames_drawn - f0) / wall)
    await close_app(controller, window)
    return cpu, fps


async def measure_memory(data_dir: str, hours: float) -> list[tuple[float, float]]:
    controller, window = make_app(data_dir)
    duration_s = hours * 3600.0
    source = PrefilledSimulated(prefill_s=0.0, duration_s=duration_s, chunk_s=1.0, paced=False)
    await controller.start_source(source, "simulated")
    samples: list[tuple[float, float]] = []
    next_h = 1.0
    t0 = time.perf_counter()
    while not controller.feed.ended:
        await asyncio.sleep(0.2)
        session = controller.session
        done_h = session.counts.elapsed_s / 3600.0 if session is not None else 0.0
        if done_h >= next_h:
            samples.append((done_h, rss_mb()))
            print(f"  {done_h:5.2f} h simulated after {time.perf_counter() - t0:6.1f} s: RSS {samples[-1][1]:.1f} MB",
                  flush=True)
            next_h += 1.0
    samples.append((hours, rss_mb()))
    await close_app(controller, window)
    return samples


async def main_async(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"app CPU at {FS_HZ:g} Hz, {WINDOW_S} s window, ≤30 fps, offscreen; "
              f"{1 / args.chunk_s:.0f} chunks/s; {args.repeats} × {args.seconds:g} s windows")
        on_cpu, on_fps = await measure_cpu(os.path.join(tmp, "a"), args.seconds, args.repeats, True, args.chunk_s)
        off_cpu, _ = await measure_cpu(os.path.join(tmp, "b"), args.seconds, args.repeats, False, args.chunk_s)
        med_on, med_off = statistics.median(on_cpu), statistics.median(off_cpu)
        print(f"  whole app, plot drawing : median {med_on:5.1f} % of one core  "
              f"(runs {', '.join(f'{v:.1f}' for v in on_cpu)}), {statistics.median(on_fps):.1f} fps")
        print(f"  baseline, plot stopped  : median {med_off:5.1f} %  (runs {', '.join(f'{v:.1f}' for v in off_cpu)})")
        print(f"  plot share              : {med_on - med_off:5.1f} % points; ratio {med_on / max(med_off, 1e-9):.1f}×")
        print(f"  target ≤ 15 %           : {'PASS' if med_on <= 15.0 else 'FAIL'}")
        ok = med_on <= 15.0
        if args.hours > 0:
            print(f"memory over {args.hours:g} h of simulated wear streamed as fast as possible:")
            t0 = time.perf_counter()
            samples = await measure_memory(os.path.join(tmp, "c"), args.hours)
            first = samples[0][1]
            growth = max(v for _, v in samples) - first
            print(f"  RSS after 1st hour {first:.1f} MB, highest later {first + growth:.1f} MB, "
                  f"at the end {samples[-1][1]:.1f} MB: growth {growth:+.1f} MB "
                  f"({time.perf_counter() - t0:.0f} s wall)")
            print(f"  target ≤ +20 MB         : {'PASS' if growth <= 20.0 else 'FAIL'}")
            ok = ok and growth <= 20.0
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m twitchwatch.bench.app_cpu", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=10.0, help="length of one CPU window (default 10)")
    p.add_argument("--repeats", type=int, default=3, help="CPU windows per configuration (default 3)")
    p.add_argument("--chunk-s", type=float, default=0.025,
                   help="seconds of samples per delivered chunk (default 0.025: 40 chunks/s, so new data "
                        "is always there for the plot's 30 fps)")
    p.add_argument("--hours", type=float, default=10.0, help="simulated hours for the memory run (0 skips)")
    args = p.parse_args(argv)
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["twitchwatch-bench"])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(main_async(args))
    finally:
        loop.close()


if __name__ == "__main__":
    sys.exit(main())
