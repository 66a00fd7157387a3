"""The BLE link end to end: real bleak API -> Bumble backend -> virtual link -> simulated sensor.

Sensor clocks run sped up so minutes of sensor time take seconds; the simulated sensor records
every sample it produced and which reached the host, which is the truth compared against.
"""

import asyncio
import random

import numpy as np
import pytest

from twitchwatch.ble import protocol as P
from twitchwatch.ble.sim_peripheral import Faults

from linkharness import expected, lost_ranges_truth, run_link, to_raw


def _check_exact(run):
    prod, lost_truth = expected(run)
    lost = ~np.isfinite(run.accel_g).all(axis=1)
    assert np.array_equal(lost, lost_truth)
    np.testing.assert_array_equal(to_raw(run)[~lost], prod[~lost].astype(float))
    led = run.source.ledger
    assert led.samples_expected == len(run.accel_g)
    assert led.received_live + led.backfilled + led.lost == led.samples_expected
    assert led.lost == int(lost.sum())
    assert led.lost_ranges == lost_ranges_truth(lost, run.first_index)
    assert all(b > a for a, b in zip(run.walls, run.walls[1:])), "timestamps went backwards"
    return led


@pytest.mark.slow
def test_ten_minutes_clean_arrive_complete_and_equal():
    run = run_link(600, speed=60)
    led = _check_exact(run)
    assert len(run.accel_g) >= 600 * 208
    assert led.lost == 0 and led.backfilled == 0 and led.bad_packets == 0
    assert led.received_live == len(run.accel_g)
    assert run.source.device_info["model"] == "TWW-SIM-1"
    assert run.source.battery_pct == 87


@pytest.mark.slow
def test_faults_recovered_by_backfill_with_exact_ledger():
    faults = Faults(loss_p=0.05, burst_every_s=17, burst_packets=8,
                    disconnect_every_s=60, disconnect_for_s=30, seed=3)
    # 250 s of emitted data needs the 240-270 s gap filled, so the stop comes while connected
    run = run_link(250, speed=30, faults=faults)
    led = _check_exact(run)
    assert run.sensor.lost_packets > 100          # the faults really happened
    assert run.sensor.disconnects >= 4
    assert led.lost == 0, led.lost_ranges          # ... and every sample came back
    assert led.backfilled > 0.3 * led.samples_expected
    assert led.reconnects == run.sensor.disconnects
    assert led.disconnected_s > 0
    assert "reconnecting" in run.states or led.reconnects > 0


@pytest.mark.slow
def test_disconnect_longer_than_ring_reports_exact_lost_range():
    faults = Faults(disconnect_every_s=40, disconnect_for_s=120)
    run = run_link(230, speed=40, faults=faults)
    led = _check_exact(run)
    assert led.lost > 0
    big = [r for r in led.lost_ranges if r[1] - r[0] > 10 * 208]
    assert big, led.lost_ranges
    # about 120 s offline minus what the 60 s ring still held after reconnecting
    assert all(40 * 208 < b - a < 80 * 208 for a, b in big)
    assert led.reconnects >= 1
    # streaming resumed: samples after the last gap were received live
    lost = ~np.isfinite(run.accel_g).all(axis=1)
    assert not lost[-208:].any()


def test_bad_packets_counted_and_skipped():
    rng = random.Random(7)
    injected = []

    async def inject(sensor):
        await asyncio.sleep(0.3)
        while True:
            kind = len(injected) % 4
            if kind == 0:
                pkt = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40)))
                if not P.decode_packets([pkt]).bad:
                    continue           # a random packet that happens to be valid is not "bad"
            elif kind == 1:            # truncated
                pkt = P.encode_data_packet(sensor.seq, sensor.live_cursor, np.zeros((3, 6)), P.config_byte())[:-5]
            elif kind == 2:            # another protocol version
                good = bytearray(P.encode_data_packet(sensor.seq, sensor.live_cursor, np.zeros((2, 6)), P.config_byte()))
                good[0] = (2 << 4) | (good[0] & 0x0F)
                pkt = bytes(good)
            else:                      # a stale packet: sequence number jumps backwards
                pkt = P.encode_data_packet((sensor.seq - 40) % 65536, max(0, sensor.live_cursor - 800),
                                           np.full((19, 6), 1234), P.config_byte())
            if await sensor.inject(pkt):
                injected.append(kind)
            await asyncio.sleep(0.01)

    run = run_link(60, speed=20, inject=inject)
    led = _check_exact(run)                       # the data itself is untouched
    assert len(injected) >= 40
    assert led.bad_packets == len(injected)
    assert led.lost == 0


def test_index_wraps_at_2_pow_32():
    start = 2**32 - 208 * 5
    run = run_link(20, speed=10, start_index=start)
    led = _check_exact(run)
    assert run.first_index < 2**32 < run.first_index + len(run.accel_g)
    assert led.lost == 0
