"""End-to-end run: the whole firmware on the MicroPython unix port (fake machine + fake bluetooth
bridged to Bumble) streaming to a bleak client through twitchwatch's Bumble backend.

Used by test_e2e.py and runnable by hand to print the figures:
    .venv/bin/python tests/firmware/fw_e2e_run.py
"""

from __future__ import annotations

import asyncio
import os
import pathlib
import re
import sys
import tempfile
from dataclasses import dataclass, field

import numpy as np
from bleak import BleakClient, BleakScanner
from bumble.controller import Controller
from bumble.link import LocalLink

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from fw_ble_bridge import Bridge  # noqa: E402
from fw_common import FAKES, FIRMWARE, HEAP_BUDGET, VENV_BIN  # noqa: E402

from twitchwatch.ble import protocol as P  # noqa: E402
from twitchwatch.ble.bumble_backend import BumbleClient, BumbleScanner, reset_centrals  # noqa: E402

FS_HZ = 6667.0 / 32          # the LSM6DSO's real "208 Hz"
ACCEL_LSB_G = 0.122e-3       # ±4 g
GYRO_LSB_DPS = 17.5e-3       # ±500 dps


def make_samples(path: pathlib.Path, duration_s: float, seed: int = 7) -> np.ndarray:
    """Raw LSB rows from the project's twitch model, as the IMU would produce them."""
    from twitchwatch.model.simulate import SimConfig, simulate

    rec, _ = simulate(SimConfig(duration_s=duration_s, fs_hz=208.0, seed=seed))
    raw = np.concatenate([np.round(rec.accel_g / ACCEL_LSB_G), np.round(rec.gyro_dps / GYRO_LSB_DPS)],
                         axis=1)
    raw = np.clip(raw, -32767, 32767).astype("<i2")     # -32768 on every axis means "lost"
    path.write_bytes(raw.tobytes())
    return raw


@dataclass
class Result:
    produced: np.ndarray
    packets: list[bytes] = field(default_factory=list)
    first_live: int = -1
    end_index: int = -1
    drop_range: tuple[int, int] = (0, 0)
    backfill_error: int = -1
    bad_write_error: int = -1
    status_after: dict = field(default_factory=dict)
    mtu: int = 0
    firmware_out: str = ""
    wall_s: float = 0.0


async def _wait_for(cond, timeout_s: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while not cond():
        if loop.time() > end:
            raise TimeoutError("timed out waiting for " + what)
        await asyncio.sleep(0.02)


async def _status_error(client, expected: int, timeout_s: float = 3.0) -> int:
    """last_error once it equals `expected` (writes are applied at the next FIFO drain), or the
    value still there after timeout_s."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout_s
    while True:
        err = P.decode_status(bytes(await client.read_gatt_char(P.STATUS_UUID))).last_error
        if err == expected or loop.time() > end:
            return err
        await asyncio.sleep(0.02)


def _max_index(packets: list[bytes]) -> int:
    if not packets:
        return -1
    b = P.decode_packets(packets[-20:])
    return int((b.first_index + b.n).max()) - 1 if len(b.n) else -1


async def run(workdir: pathlib.Path, stream_s: float = 60.0, drop_s: float = 20.0,
              speed: float = 5.0) -> Result:
    """Stream `stream_s` of sensor time with a `drop_s` link loss in the middle."""
    t_wall = asyncio.get_running_loop().time()
    samples = workdir / "imu.bin"
    produced = make_samples(samples, stream_s + drop_s + 30.0)
    (workdir / "settings.json").write_text('{"name": "e2e"}')
    res = Result(produced=produced)
    reset_centrals()
    link = LocalLink()
    bridge = Bridge(Controller("sensor", link=link))
    port = await bridge.start()
    host = Controller("host", link=link)
    env = dict(os.environ, MICROPYPATH=":".join([str(FAKES), str(FIRMWARE), ".frozen"]),
               TWW_BRIDGE_PORT=str(port), TWW_FAKE_SAMPLES=str(samples),
               TWW_FAKE_SPEED=str(speed))
    proc = await asyncio.create_subprocess_exec(
        str(VENV_BIN / "micropython"), "-X", "heapsize=" + HEAP_BUDGET, "-c",
        "import app; app.run()", cwd=str(workdir), env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    packets = res.packets

    def on_data(_char, data: bytearray) -> None:
        packets.append(bytes(data))

    async def connect() -> BleakClient:
        dev = await BleakScanner.find_device_by_name("TWW-e2e", timeout=15, backend=BumbleScanner,
                                                     bumble=host)
        assert dev is not None, "firmware did not advertise TWW-e2e"
        client = BleakClient(dev, backend=BumbleClient, bumble=host)
        await client.connect()
        await client.start_notify(P.DATA_UUID, on_data)       # subscribe first, then START
        await client.write_gatt_char(P.CONTROL_UUID, P.encode_start(), response=True)
        return client

    def sensor_s(n_samples: int) -> float:
        return n_samples / FS_HZ

    try:
        client = await connect()
        res.mtu = client.mtu_size
        await _wait_for(lambda: packets, 20, "the first data packet")
        res.first_live = int(P.decode_packets(packets[:1]).first_index[0])
        first = res.first_live
        # A malformed control write must be refused with a code, and change nothing.
        await client.write_gatt_char(P.CONTROL_UUID, bytes([3, 200, 0]), response=True)
        res.bad_write_error = await _status_error(client, 3)
        # Stream until a third of the way, then lose the link for drop_s (sensor time).
        t1 = (stream_s - drop_s) / 2
        await _wait_for(lambda: sensor_s(_max_index(packets) - first) >= t1, 60, "pre-drop data")
        before = _max_index(packets)
        await bridge.drop_link()
        await _wait_for(lambda: not client.is_connected, 10, "the disconnect")
        await asyncio.sleep(drop_s / speed)
        n_before_reconnect = len(packets)
        client = await connect()
        await _wait_for(lambda: len(packets) > n_before_reconnect, 20, "live data after reconnect")
        resumed = int(P.decode_packets(packets[n_before_reconnect:n_before_reconnect + 1])
                      .first_index[0])
        res.drop_range = (before + 1, resumed)
        await client.write_gatt_char(P.CONTROL_UUID, P.encode_backfill(before + 1, resumed),
                                     response=True)
        res.backfill_error = await _status_error(client, 0)
        res.end_index = first + int(round(stream_s * FS_HZ))
        await _wait_for(lambda: _max_index(packets) >= res.end_index, 90, "the end of the stream")
        await asyncio.sleep(0.3)          # let the last backfill packets land
        st = P.decode_status(bytes(await client.read_gatt_char(P.STATUS_UUID)))
        res.status_after = st.__dict__ if hasattr(st, "__dict__") else dict(st._asdict())
        bridge.request_meminfo()
        await asyncio.sleep(0.3)
        await client.disconnect()
    except BaseException as e:
        if proc.returncode is None:
            proc.terminate()
        out, _ = await proc.communicate()
        raise RuntimeError("%s; firmware output:\n%s" % (e, out.decode(errors="replace")[-3000:])) from e
    finally:
        if proc.returncode is None:
            proc.terminate()
        out, _ = await proc.communicate()
        res.firmware_out = out.decode(errors="replace")
        await bridge.close()
        reset_centrals()
    res.wall_s = asyncio.get_running_loop().time() - t_wall
    return res


def analyse(res: Result) -> dict:
    """Which indices in [first_live, end_index) arrived, and with the values the IMU produced."""
    b = P.decode_packets(res.packets)
    idx = np.repeat(b.first_index, b.n) + (np.arange(b.raw.shape[0])
                                          - np.repeat(b.packet_starts(), b.n))
    want = np.arange(res.first_live, res.end_index)
    got = np.zeros(want.size, bool)
    wrong = 0
    sel = (idx >= res.first_live) & (idx < res.end_index)
    rows = res.produced[idx[sel]]
    wrong = int(np.sum(np.any(rows != b.raw[sel], axis=1)))
    got[idx[sel] - res.first_live] = True
    seqs = np.sort(b.seq)
    mem = re.search(r"MEMINFO live=(\d+) free=(\d+) heap_max=(\d+)", res.firmware_out)
    return {
        "expected": int(want.size),
        "received": int(got.sum()),
        "lost": int(want.size - got.sum()),
        "wrong_values": wrong,
        "bad_packets": len(b.bad),
        "packets": len(res.packets),
        "backfill_packets": int(b.backfill.sum()),
        "backfill_samples": int(b.n[b.backfill].sum()),
        "seq_gaps": int(np.sum(np.diff(seqs) != 1)),
        "samples_per_packet_max": int(b.n.max()),
        "drop_range": res.drop_range,
        "mtu": res.mtu,
        "heap_live_bytes": int(mem.group(1)) if mem else None,       # after gc.collect()
        "heap_high_water_bytes": int(mem.group(3)) if mem else None,  # max gc.mem_alloc() seen
        "heap_total_bytes": int(mem.group(1)) + int(mem.group(2)) if mem else None,
        "wall_s": round(res.wall_s, 1),
    }


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as d:
        r = asyncio.run(run(pathlib.Path(d), speed=float(os.getenv("TWW_E2E_SPEED", "3"))))
    a = analyse(r)
    for k, v in a.items():
        print("%-22s %s" % (k, v))
    print("bad write -> last_error", r.bad_write_error, "; backfill -> last_error",
          r.backfill_error)
    print("status at the end:", r.status_after)
