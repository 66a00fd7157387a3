"""Today's tallies and episode list: what the diary already holds for today plus the live
session (no Qt).

Real-sensor sessions are written to the diary as they run, so the diary part is read only
when no real session is running (at start, and after each session ends) and the live part is
added on top: nothing is counted twice. Simulated and replayed sessions stand alone: their
counts are never mixed with the wearer's real day.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import date, datetime
from datetime import time as dtime
from typing import Any, Iterable

import numpy as np

from ..detect import Episode
from ..store import queries
from ..store.db import Store
from .episodes_table import EpisodeTrace
from .snapshot import Counts, EpisodeRow

CLIP_MARGIN_S = 1.0       # context kept before and after an episode for its trace
MAX_CLIPS = 300           # about a week of episodes at the rates people report; bounded memory


def local_midnight_s(day: date | None = None) -> float:
    return datetime.combine(day or date.today(), dtime()).astimezone().timestamp()


class TodayLog:
    """Counts and rows for the counters and the episode table."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._mode = "idle"          # "idle", "real" (recorded sensor) or "apart" (simulated, replay)
        self._scope = "today"
        self._live_rows: list[EpisodeRow] = []
        self._clips: OrderedDict[str, EpisodeTrace] = OrderedDict()
        self._base = Counts()
        self._base_rows: list[EpisodeRow] = []
        self._stored: dict[str, tuple[Any, Any]] = {}
        self._day = date.today()
        self._load_base()

    def _load_base(self, exclude_session: int | None = None) -> None:
        """Today's totals from the diary, leaving out the session being recorded (if any)."""
        self._day = date.today()
        start, end = local_midnight_s(self._day), time.time() + 86_400
        sessions = {s.id: s for s in queries.sessions(self._store, start, end)}
        eps = [e for e in queries.episodes(self._store, start, end) if e.session_id != exclude_session]
        n_twitches = sum(t.session_id != exclude_session for t in queries.twitches(self._store, start, end))
        monitored = sum(min(s.wall_s + s.duration_s, end) - max(s.wall_s, start)
                        for s in queries.monitored(self._store, start, end) if s.session_id != exclude_session)
        self._base = Counts(twitches_today=n_twitches, episodes_today=len(eps),
                            last_episode_s=eps[-1].duration_s if eps else None, monitored_s=monitored)
        self._stored = {f"db:{e.id}": (e, sessions.get(e.session_id)) for e in eps}
        rows = []
        for e in eps:
            s = sessions.get(e.session_id)
            rows.append(EpisodeRow(start_wall_s=e.wall_s, duration_s=e.duration_s, twitch_count=e.twitch_count,
                                   site=s.site if s else "", side=s.side if s else "",
                                   first_index=e.start, end_index=e.end, key=f"db:{e.id}"))
        self._base_rows = rows

    def begin_session(self, live_is_real: bool, scope: str = "today") -> None:
        self._mode = "real" if live_is_real else "apart"
        self._scope = "today" if live_is_real else scope
        self._live_rows = []

    def end_session(self) -> None:
        if self._mode == "real":
            # The recorder has flushed this session into the diary: read it back from there.
            self._load_base()
        self._live_rows = []
        self._mode, self._scope = "idle", "today"

    def roll_over(self, session: Any) -> None:
        """After midnight, "today" starts again: reload the diary's part for the new day.

        A session that spans midnight keeps counting into the new day (its live counts are not
        split by the clock); what it recorded before midnight stays in yesterday's diary.
        """
        if date.today() == self._day:
            return
        recorder = getattr(session, "recorder", None) if self._mode == "real" else None
        self._load_base(exclude_session=getattr(recorder, "session_id", None))
        midnight = local_midnight_s(self._day)
        self._live_rows = [r for r in self._live_rows if r.start_wall_s >= midnight]

    def counts(self, session: Any) -> Counts:
        self.roll_over(session)
        live = session.counts if (session is not None and self._mode != "idle") else None
        if live is None:
            return self._base if self._mode != "apart" else Counts(scope=self._scope)
        monitored_s = live.monitored_s + open_span_s(session)
        if self._mode == "apart":
            return Counts(twitches_today=live.twitches, episodes_today=live.episodes,
                          last_episode_s=live.last_episode_s, monitored_s=monitored_s,
                          scope=self._scope)
        base = self._base
        return Counts(twitches_today=base.twitches_today + live.twitches,
                      episodes_today=base.episodes_today + live.episodes,
                      last_episode_s=live.last_episode_s if live.last_episode_s is not None else base.last_episode_s,
                      monitored_s=base.monitored_s + monitored_s, scope="today")

    def rows(self) -> list[EpisodeRow]:
        if self._mode == "apart":
            return list(self._live_rows)
        return self._base_rows + self._live_rows

    def trace(self, row: EpisodeRow) -> EpisodeTrace | None:
        """The trace of a live episode (kept in memory) or of one stored today, read back
        from its session's recording; None when neither is available."""
        clip = self._clips.get(row.key)
        if clip is not None or not row.key.startswith("db:"):
            return clip
        episode, session = self._stored.get(row.key, (None, None))
        if episode is None or session is None or not session.recording:
            return None
        from ..errors import TwitchwatchError
        from ..export.traces import make_clip

        try:
            clip = stored_trace(make_clip(self._store.data_dir / session.recording, session, episode))
        except (TwitchwatchError, OSError):
            return None           # the recording was moved or damaged: the row stays, no trace
        self._clips[row.key] = clip
        return clip

    def add_live_episodes(self, session: Any, episodes: Iterable[Episode]) -> None:
        """Remember rows and cut trace clips while the samples are still in the session's view."""
        fs = float(session.fs_hz)
        snap = session.view.snapshot() if session.view is not None else None
        for ep in episodes:
            key = f"live:{id(session)}:{ep.start}"
            row = EpisodeRow(start_wall_s=session.start_wall_s + ep.start / fs,
                             duration_s=(ep.end - ep.start) / fs, twitch_count=ep.twitch_count,
                             site=session.site, side=session.side, first_index=ep.start,
                             end_index=ep.end, key=key)
            self._live_rows.append(row)
            if snap is not None:
                clip = cut_clip(snap, fs, ep)
                if clip is not None:
                    self._clips[key] = clip
                    while len(self._clips) > MAX_CLIPS:
                        self._clips.popitem(last=False)


def open_span_s(session: Any) -> float:
    """Seconds of the still span the detector has decided on but not yet closed.

    ``LiveSession.counts.monitored_s`` grows only when a span closes (at the next movement),
    so a long still stretch would otherwise show no monitored time at all.
    """
    det = getattr(session, "detector", None)
    fs = getattr(session, "fs_hz", None)
    if det is None or not fs:
        return 0.0
    return det.open_monitored_samples / float(fs)


def cut_clip(snap: dict, fs_hz: float, ep: Episode) -> EpisodeTrace | None:
    """The episode plus a second either side, from a view snapshot; None if it scrolled out."""
    idx = np.rint(snap["t_s"] * fs_hz).astype(np.int64)
    lo = ep.start - int(CLIP_MARGIN_S * fs_hz)
    hi = ep.end + int(CLIP_MARGIN_S * fs_hz)
    sel = (idx >= max(lo, 0)) & (idx < hi)
    if not sel.any() or idx[sel][0] > ep.start:
        return None
    t_s = (idx[sel] - ep.start) / fs_hz
    onsets = set(ep.onsets)
    members = [tw for tw in snap["twitches"] if tw.onset in onsets]
    return EpisodeTrace(t_s=t_s, band_g=snap["band_g"][sel].copy(), threshold_g=snap["threshold_g"][sel].copy(),
                        twitch_t_s=np.array([(tw.peak - ep.start) / fs_hz for tw in members], dtype=float),
                        twitch_peak_g=np.array([tw.peak_g for tw in members], dtype=float),
                        duration_s=(ep.end - ep.start) / fs_hz)


def stored_trace(clip: Any) -> EpisodeTrace:
    """A report clip (band-passed axis that moved most, in mg) as an episode trace.

    The recording holds raw samples only, so this is the report's display filter, not the
    detector's live magnitude; there is no threshold to draw.
    """
    t_s = np.asarray(clip.t_s, dtype=float)
    y_g = np.abs(np.asarray(clip.signal_mg, dtype=float)) / 1000.0
    onsets = np.asarray(clip.twitch_s, dtype=float)
    finite = np.nan_to_num(y_g)
    # Mark each twitch at its largest deflection within 0.2 s of its onset.
    peaks_t, peaks_g = [], []
    for o in onsets:
        sel = (t_s >= o) & (t_s < o + 0.2)
        if sel.any():
            i = int(np.flatnonzero(sel)[np.argmax(finite[sel])])
            peaks_t.append(t_s[i])
            peaks_g.append(finite[i])
    return EpisodeTrace(t_s=t_s, band_g=y_g, threshold_g=np.full(len(t_s), np.nan),
                        twitch_t_s=np.array(peaks_t), twitch_peak_g=np.array(peaks_g),
                        duration_s=float(clip.episode_s[1] - clip.episode_s[0]))
