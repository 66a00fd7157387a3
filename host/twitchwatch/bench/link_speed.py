"""Receiving + decoding + placing + detecting a 208 Hz stream, as % of one CPU core.

Runs the real host data path (protocol decoder, reorder buffer, clock fit, detector) on 60 s of
protocol-v1 packets as the BLE callback delivers them (19 samples per notification, decoded in
50 ms batches), timing with process_time. Prints medians of 5 runs. Run:
``python -m twitchwatch.bench.link_speed``.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from twitchwatch.ble import protocol as P
from twitchwatch.ble.sim_peripheral import pattern_signal
from twitchwatch.link.buffer import SampleBuffer
from twitchwatch.link.clock import ClockFit

FS_HZ = 208
SPAN_S = 60.0


def _packets() -> list[bytes]:
    sig = pattern_signal(FS_HZ)
    n = int(SPAN_S * FS_HZ)
    raw = sig(0, n)
    cfg = P.config_byte(8, 1000, FS_HZ)
    return [P.encode_data_packet(k, i, raw[i:i + 19], cfg) for k, i in enumerate(range(0, n - 18, 19))]


def _run(packets: list[bytes], detect: bool) -> float:
    det = None
    if detect:
        from twitchwatch.detect import DetectorParams, TwitchDetector

        det = TwitchDetector(float(FS_HZ), DetectorParams())
    buf, clock = SampleBuffer(90 * FS_HZ), ClockFit(FS_HZ)
    buf.start(0)
    per_batch = max(1, int(0.05 * FS_HZ / 19))
    c0 = time.process_time()
    for b in range(0, len(packets), per_batch):
        batch = P.decode_packets(packets[b:b + per_batch])
        starts = batch.packet_starts()
        for k in range(len(batch.seq)):
            n = int(batch.n[k])
            rows = slice(int(starts[k]), int(starts[k]) + n)
            buf.insert(int(batch.first_index[k]), batch.accel_g[rows], batch.gyro_dps[rows])
            clock.add(int(batch.first_index[k]) + n - 1, time.time())
        for rel in buf.release():
            if det is not None:
                det.process(rel.accel_g, rel.gyro_dps)
    return time.process_time() - c0


def main(argv: list[str] | None = None) -> int:
    """No options; ``argv`` is accepted so ``twitchwatch bench link_speed`` can call it."""
    if argv:
        print("usage: twitchwatch bench link_speed   (takes no options)", file=sys.stderr)
        return 2
    packets = _packets()
    link = [_run(packets, False) for _ in range(5)]
    try:
        full = [_run(packets, True) for _ in range(5)]
    except ImportError:
        full = None
    link_pct = statistics.median(link) / SPAN_S * 100
    print(f"{len(packets)} packets, {SPAN_S:g} s of {FS_HZ} Hz data per run, 5 runs")
    print(f"receive+decode+place (link only): median {statistics.median(link) * 1e3:.1f} ms CPU "
          f"per {SPAN_S:g} s = {link_pct:.3f} % of one core")
    if full is not None:
        full_pct = statistics.median(full) / SPAN_S * 100
        print(f"... + TwitchDetector: median {statistics.median(full) * 1e3:.1f} ms CPU = "
              f"{full_pct:.3f} % of one core ({full_pct / link_pct:.1f}x the link alone)")
    else:
        print("twitchwatch.detect.TwitchDetector not available: detector not measured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
