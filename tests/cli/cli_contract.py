"""The ``analyze --json`` contract (docs/analyze-json.md) as a checker shared by the CLI tests."""

from __future__ import annotations

import math

from twitchwatch.detect import DETECTOR_VERSION, DetectorParams

REQUIRED = {"file", "detector", "fs_hz", "duration_s", "monitored_s", "monitored_spans", "twitches", "episodes"}
EXTRA = {"lost_s", "start_wall_s", "site", "side", "cut_note"}
TWITCH_KEYS = {"onset_s", "offset_s", "peak_g", "rule"}
TWITCH_RULES = {"main", "edge", "second"}
EPISODE_KEYS = {"start_s", "end_s", "duration_s", "twitch_count", "peak_g", "intervals_s"}
ROUND_S = 1e-4        # times are rounded to 0.1 ms
ROUND_G = 1e-5        # peaks to 10 µg


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def check_summary(obj: dict, params: DetectorParams | None = None) -> None:
    """Assert that one per-file object follows the documented contract, field by field."""
    params = params or DetectorParams()
    assert set(obj) == REQUIRED | EXTRA, f"keys changed: {sorted(set(obj) ^ (REQUIRED | EXTRA))}; update docs/analyze-json.md"
    assert isinstance(obj["file"], str) and obj["file"]
    assert obj["detector"] == {"version": DETECTOR_VERSION, "params": params.as_dict()}
    assert isinstance(obj["detector"]["version"], str)
    fs, dur = obj["fs_hz"], obj["duration_s"]
    assert isinstance(fs, float) and fs > 0
    assert isinstance(dur, float) and dur > 0
    assert isinstance(obj["monitored_s"], float) and 0 <= obj["monitored_s"] <= dur + ROUND_S
    assert isinstance(obj["lost_s"], float) and 0 <= obj["lost_s"] <= dur
    assert obj["start_wall_s"] is None or _number(obj["start_wall_s"])
    assert obj["site"] in ("", "thenar", "calf", "thigh", "sole", "other")
    assert obj["side"] in ("", "left", "right")
    assert obj["cut_note"] is None or isinstance(obj["cut_note"], str)

    spans = obj["monitored_spans"]
    assert isinstance(spans, list)
    prev_end = -1.0
    for span in spans:
        assert isinstance(span, list) and len(span) == 2 and all(_number(v) for v in span)
        a, b = span
        assert 0 <= a < b <= dur + ROUND_S and a > prev_end - ROUND_S, f"spans overlap or unsorted: {spans}"
        prev_end = b
    assert abs(sum(b - a for a, b in spans) - obj["monitored_s"]) <= ROUND_S * (len(spans) + 1)

    twitches = obj["twitches"]
    assert isinstance(twitches, list)
    for tw in twitches:
        assert set(tw) == TWITCH_KEYS and all(_number(v) for k, v in tw.items() if k != "rule")
        assert tw["rule"] in TWITCH_RULES
        assert 0 <= tw["onset_s"] < tw["offset_s"] <= dur + ROUND_S
        assert tw["peak_g"] > 0
        # A twitch is only ever reported inside monitored (still) time.
        assert any(a - ROUND_S <= tw["onset_s"] and tw["offset_s"] <= b + ROUND_S for a, b in spans), tw
    onsets = [tw["onset_s"] for tw in twitches]
    assert onsets == sorted(onsets)
    assert all(t1["offset_s"] <= t2["onset_s"] + ROUND_S for t1, t2 in zip(twitches, twitches[1:]))

    episodes = obj["episodes"]
    assert isinstance(episodes, list)
    for ep in episodes:
        assert set(ep) == EPISODE_KEYS
        assert isinstance(ep["twitch_count"], int) and ep["twitch_count"] >= params.episode_min_twitches
        assert 0 <= ep["start_s"] < ep["end_s"] <= dur + ROUND_S
        assert abs(ep["duration_s"] - (ep["end_s"] - ep["start_s"])) <= 2 * ROUND_S
        members = [tw for tw in twitches if ep["start_s"] - ROUND_S / 2 <= tw["onset_s"] <= ep["end_s"]]
        assert len(members) == ep["twitch_count"], (ep, members)
        assert members[0]["onset_s"] == ep["start_s"], "an episode starts at its first twitch's onset"
        assert members[-1]["offset_s"] == ep["end_s"], "an episode ends at its last twitch's offset"
        assert abs(ep["peak_g"] - max(tw["peak_g"] for tw in members)) <= ROUND_G
        assert len(ep["intervals_s"]) == ep["twitch_count"] - 1
        for iv, (t1, t2) in zip(ep["intervals_s"], zip(members, members[1:])):
            assert abs(iv - (t2["onset_s"] - t1["onset_s"])) <= 3 * ROUND_S
    check_episode_grouping(obj, params)


def check_episode_grouping(obj: dict, params: DetectorParams) -> None:
    """Episodes are exactly the runs of twitches whose offset-to-onset gaps are at most
    ``episode_gap_s``, with at least ``episode_min_twitches`` members (recomputed in samples)."""
    fs = obj["fs_hz"]
    gap_n = int(round(params.episode_gap_s * fs))
    idx = [(round(t["onset_s"] * fs), round(t["offset_s"] * fs)) for t in obj["twitches"]]
    groups: list[list[tuple[int, int]]] = []
    for on, off in idx:
        if groups and on - groups[-1][-1][1] <= gap_n:
            groups[-1].append((on, off))
        else:
            groups.append([(on, off)])
    expected = [(g[0][0], g[-1][1], len(g)) for g in groups if len(g) >= params.episode_min_twitches]
    got = [(round(e["start_s"] * fs), round(e["end_s"] * fs), e["twitch_count"]) for e in obj["episodes"]]
    assert got == expected
