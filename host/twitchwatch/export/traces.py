"""Example episodes for the report: the raw evidence read back from the session's ``.twr``.

The clip is band-passed with the same band the detector used (zero-phase here: this is for
display only, the detector itself is causal) and shows the axis that moved most.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
from scipy import signal

from ..errors import TwitchwatchError
from ..store.queries import EpisodeRow, SessionRow
from .figures import TraceClip
from .twr_window import read_window

PAD_S = 2.0          # shown before and after the episode
FILTER_PAD_S = 3.0   # extra read on each side so the filter has settled inside the clip


def _band(session: SessionRow) -> tuple[tuple[float, float], int]:
    params = (session.detector or {}).get("params") or {}
    band = params.get("band_hz") or (5.0, 40.0)
    order = int(params.get("band_order") or 4)
    lo, hi = float(band[0]), min(float(band[1]), 0.45 * session.fs_hz)
    return (lo, hi), order


def choose_examples(episodes: list[EpisodeRow], sessions: dict[int, SessionRow], data_dir: Path,
                    k: int = 3) -> list[EpisodeRow]:
    """Up to ``k`` episodes worth showing: the longest, a typical one and the strongest,
    from sessions whose recording file is present."""
    usable = [e for e in episodes
              if (s := sessions.get(e.session_id)) and s.recording and (data_dir / s.recording).exists()]
    if not usable:
        return []
    by_dur = sorted(usable, key=lambda e: e.duration_s)
    median = float(np.median([e.duration_s for e in usable]))
    picks = [by_dur[-1], min(usable, key=lambda e: abs(e.duration_s - median)), max(usable, key=lambda e: e.peak_g)]
    out: list[EpisodeRow] = []
    for e in picks + by_dur[::-1]:
        if e.id not in {o.id for o in out}:
            out.append(e)
        if len(out) == k:
            break
    return sorted(out, key=lambda e: e.wall_s)


def make_clip(path: Path, session: SessionRow, ep: EpisodeRow, twitch_onsets: np.ndarray | None = None) -> TraceClip:
    """Read, cut and band-pass the stretch of the recording at ``path`` around ``ep``;
    ``twitch_onsets`` (the session's detected twitches, sample indices) adds markers for
    twitches outside the episode."""
    fs = session.fs_hz
    pad, fpad = int(PAD_S * fs), int(FILTER_PAD_S * fs)
    a0 = max(0, ep.start - pad - fpad)
    x, _gyro, fs = read_window(path, a0, ep.end + pad + fpad)
    lost = np.logical_not(np.isfinite(x).all(axis=1))
    if int(np.count_nonzero(~lost)) < int(fs):
        raise TwitchwatchError(f"the episode at sample {ep.start} of session {session.id} lies outside "
                               "the readable recording")
    x = np.where(lost[:, None], np.nanmean(x, axis=0) if (~lost).any() else 0.0, x)
    (lo, hi), order = _band(session)
    sos = signal.butter(order, [lo, hi], btype="bandpass", fs=fs, output="sos")
    y = signal.sosfiltfilt(sos, x - x.mean(axis=0), axis=0)
    y[lost] = np.nan
    i0, i1 = ep.start - a0, ep.end - a0
    axis = int(np.argmax(np.nanstd(y[max(0, i0):max(i0 + 1, i1)], axis=0)))
    s0, s1 = max(0, i0 - pad), min(len(y), i1 + pad)
    t = (np.arange(s0, s1) - i0) / fs
    onsets = tuple((o - ep.start) / fs for o in ep.onsets)
    others: tuple[float, ...] = ()
    if twitch_onsets is not None and len(twitch_onsets):
        lo_i, hi_i = ep.start - (i0 - s0), ep.start + (s1 - i0)
        near = twitch_onsets[(twitch_onsets >= lo_i) & (twitch_onsets < hi_i)]
        others = tuple((int(o) - ep.start) / fs for o in near if int(o) not in set(ep.onsets))
    when = datetime.fromtimestamp(ep.wall_s).strftime("%a %d %b, %H:%M:%S")
    where = " ".join(p for p in (session.side, session.site) if p) or "site not recorded"
    title = (f"{when}  \u00b7  {where}  \u00b7  {ep.duration_s:.1f} s, {ep.twitch_count} twitches, "
             f"peak {ep.peak_g * 1000:.0f} mg")
    return TraceClip(title=title, t_s=t, signal_mg=y[s0:s1, axis] * 1000.0,
                     episode_s=(0.0, ep.duration_s), twitch_s=onsets, axis="xyz"[axis], other_twitch_s=others)


def example_clips(episodes: list[EpisodeRow], sessions: dict[int, SessionRow], data_dir: Path,
                  k: int = 3, twitch_onsets: dict[int, np.ndarray] | None = None) -> tuple[list[TraceClip], list[str]]:
    """Clips for up to ``k`` example episodes, plus a line for each one that could not be read."""
    clips: list[TraceClip] = []
    problems: list[str] = []
    for ep in choose_examples(episodes, sessions, data_dir, k):
        s = sessions[ep.session_id]
        try:
            clips.append(make_clip(data_dir / str(s.recording), s, ep, (twitch_onsets or {}).get(s.id)))
        except TwitchwatchError as exc:
            problems.append(str(exc))
    return clips, problems
