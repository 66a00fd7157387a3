"""Protocol v1 decoder/encoders: golden vectors from the firmware, round trips, fuzzing."""

import json
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twitchwatch.ble import protocol as P

GOLDEN = Path(__file__).resolve().parents[2] / "firmware" / "golden" / "vectors.json"


@pytest.fixture(scope="module")
def golden():
    if not GOLDEN.exists():
        pytest.skip(f"{GOLDEN} not generated yet (firmware/tools/make_golden.py)")
    return json.loads(GOLDEN.read_text())


def test_golden_data_packets(golden):
    assert golden["uuids"]["service"] == P.SERVICE_UUID and golden["uuids"]["data"] == P.DATA_UUID
    vecs = golden["data_packets"]
    batch = P.decode_packets([bytes.fromhex(v["hex"]) for v in vecs])
    assert not batch.bad
    starts = batch.packet_starts()
    for k, v in enumerate(vecs):
        assert batch.seq[k] == v["seq"] and batch.first_index[k] == v["first_index"]
        assert batch.n[k] == v["n"] and bool(batch.backfill[k]) == v["backfill"]
        assert bool(batch.overrun[k]) == v["overrun"] and batch.odr_hz[k] == v["rate_hz"]
        rows = slice(starts[k], starts[k] + v["n"])
        np.testing.assert_array_equal(batch.raw[rows], v["raw"])
        np.testing.assert_allclose(batch.accel_g[rows], v["accel_g"], atol=1e-9)
        np.testing.assert_allclose(batch.gyro_dps[rows], v["gyro_dps"], atol=1e-9)
        # and our encoder produces the same bytes
        cfg = P.config_byte(v["accel_range_g"], v["gyro_range_dps"], v["rate_hz"])
        assert P.encode_data_packet(v["seq"], v["first_index"], np.array(v["raw"]), cfg,
                                    v["backfill"], v["overrun"]).hex() == v["hex"]


def test_golden_bad_packets_rejected(golden):
    bad = golden["bad_data_packets"]
    batch = P.decode_packets([bytes.fromhex(v["hex"]) for v in bad])
    assert len(batch.bad) == len(bad) and len(batch.seq) == 0


def test_golden_control_and_status(golden):
    for v in golden["control_writes"]:
        op, args, err = P.decode_control(bytes.fromhex(v["hex"]))
        assert err == v["error"], v["name"]
        if err == 0:
            assert op == v["opcode"] and list(args) == v["args"]
    for v in (golden["status"] if isinstance(golden["status"], list) else [golden["status"]]):
        s = P.decode_status(bytes.fromhex(v["hex"]))
        f = v["fields"]
        assert (s.odr_hz, s.accel_range_g, s.gyro_range_dps) == (f["rate_hz"], f["accel_g"], f["gyro_dps"])
        assert (s.next_index, s.oldest_index, s.fifo_overruns) == (f["next_index"], f["oldest_index"], f["fifo_overruns"])
        assert s.encode().hex() == v["hex"]
    for row in golden["samples_per_notification"]:
        assert P.samples_per_packet(row["mtu"]) == row["samples"]


def test_encoders_round_trip():
    assert P.decode_control(P.encode_backfill(2**32 + 5, 7)) == (P.OP_BACKFILL, (5, 7), 0)
    assert P.decode_control(P.encode_set_rate(300))[2] == P.ERR_RATE
    assert P.decode_control(P.encode_set_range(3, 250))[2] == P.ERR_RANGE
    assert P.decode_control(b"\x09")[2] == P.ERR_OPCODE
    assert P.decode_control(b"\x01\x00")[2] == P.ERR_LENGTH
    st_ = P.Status(streaming=True, next_index=99, oldest_index=9, fifo_overruns=3)
    assert P.decode_status(st_.encode()) == st_
    with pytest.raises(ValueError):
        P.decode_status(b"\x01" * 31)


def test_mixed_batch_keeps_good_and_counts_bad():
    raw = np.arange(19 * 6).reshape(19, 6) - 50
    good = P.encode_data_packet(7, 1000, raw, P.config_byte(16, 2000, 416), backfill=True)
    bad_version = bytes([0x20]) + good[1:]
    batch = P.decode_packets([b"", good[:-1], good, bad_version, good[:8], good])
    assert [i for i, _ in batch.bad] == [0, 1, 3, 4]
    assert list(batch.position) == [2, 5]
    np.testing.assert_array_equal(batch.raw[:19], raw)
    np.testing.assert_allclose(batch.accel_g[0], raw[0, :3] * 0.488e-3)
    np.testing.assert_allclose(batch.gyro_dps[0], raw[0, 3:] * 70e-3)
    assert batch.backfill.all() and (batch.odr_hz == 416).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=250), min_size=500, max_size=500))
def test_fuzz_decoder_never_raises(packets):
    # 200 examples x 500 packets = 100,000 random packets per run
    batch = P.decode_packets(packets)
    assert len(batch.bad) + len(batch.seq) == len(packets)
    assert batch.raw.shape[0] == int(batch.n.sum())


def test_fuzz_plausible_headers_seeded():
    """Random bytes rarely look like v1; these mutate real packets (100,000 of them)."""
    rng = random.Random(1)
    base = P.encode_data_packet(1, 2, np.ones((19, 6)), P.config_byte())
    pkts = []
    for _ in range(100_000):
        b = bytearray(base[: rng.choice((8, 20, 32, 236, 237, 100))])
        for _ in range(rng.randrange(4)):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        pkts.append(bytes(b))
    batch = P.decode_packets(pkts)
    assert len(batch.bad) + len(batch.seq) == len(pkts)
    assert len(batch.seq) > 1000 and len(batch.bad) > 1000
