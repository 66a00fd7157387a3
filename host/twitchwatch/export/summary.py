"""The figures a report shows, computed once from the diary for a period.

Rates are per *monitored* hour (time the sensor was worn and the muscle still), so a quiet
day and a day with little data are never confused: hours with under ``MIN_BIN_MONITORED_S``
of monitoring have no rate (NaN) rather than zero.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ..store import queries
from ..store.db import Store
from .period import Period

MIN_BIN_MONITORED_S = 300.0   # an hour bin needs 5 monitored minutes before it shows a rate


@dataclass(frozen=True)
class DayStats:
    day: date
    worn_h: float
    monitored_h: float
    twitches: int
    episodes: int
    median_episode_s: float | None
    longest_episode_s: float | None

    @property
    def rate_per_h(self) -> float | None:
        return self.twitches / self.monitored_h if self.monitored_h * 3600 >= MIN_BIN_MONITORED_S else None


@dataclass(frozen=True)
class SiteStats:
    site: str
    side: str
    sessions: int
    worn_h: float
    monitored_h: float
    twitches: int
    episodes: int


@dataclass(frozen=True)
class Quality:
    worn_h: float
    monitored_h: float
    samples_expected: int
    samples_lost: int
    reconnects: int
    recovered_sessions: int
    sessions: int

    @property
    def lost_pct(self) -> float:
        return 100.0 * self.samples_lost / self.samples_expected if self.samples_expected else 0.0


@dataclass
class ReportData:
    period: Period
    days: list[DayStats]
    heat_rate: np.ndarray                  # (days, 24) twitches per monitored hour, NaN = no data
    heat_monitored_h: np.ndarray           # (days, 24)
    episode_durations_s: np.ndarray
    episode_twitch_counts: np.ndarray
    sites: list[SiteStats]
    quality: Quality
    detectors: dict[str, dict[str, Any]]  # version -> detector info
    sessions: list[queries.SessionRow]
    episodes: list[queries.EpisodeRow]
    twitch_walls: np.ndarray
    notes: list[queries.NoteRow] = field(default_factory=list)
    felt: list[queries.FeltRow] = field(default_factory=list)
    red_flags: list[queries.RedFlagRow] = field(default_factory=list)
    covariates: dict[str, list[float | None]] = field(default_factory=dict)   # per day
    medication: list[str] = field(default_factory=list)                      # per day
    notes_per_day: list[int] = field(default_factory=list)
    felt_per_day: list[int] = field(default_factory=list)

    @property
    def total_twitches(self) -> int:
        return sum(d.twitches for d in self.days)

    @property
    def total_episodes(self) -> int:
        return sum(d.episodes for d in self.days)

    @property
    def monitored_h(self) -> float:
        return sum(d.monitored_h for d in self.days)

    @property
    def days_with_data(self) -> int:
        return sum(1 for d in self.days if d.worn_h > 0)


def _cumulative(edges: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Total span time before each edge: vectorised with sorted starts/ends and prefix sums."""
    def part(points: np.ndarray) -> np.ndarray:
        p = np.sort(points)
        csum = np.concatenate(([0.0], np.cumsum(p)))
        k = np.searchsorted(p, edges, side="left")
        return edges * k - csum[k]
    return part(starts) - part(ends)


def _binned_seconds(edges: np.ndarray, starts: np.ndarray, durations: np.ndarray) -> np.ndarray:
    if len(starts) == 0:
        return np.zeros(len(edges) - 1)
    origin = edges[0]   # work relative to the period start: Unix seconds would cost precision
    return np.diff(_cumulative(edges - origin, starts - origin, starts - origin + durations))


def summarise(store: Store, period: Period) -> ReportData:
    """Everything the report shows for ``period``, from the diary in ``store``."""
    t0, t1 = period.start_s, period.end_s
    sess = queries.sessions(store, t0, t1)
    eps = queries.episodes(store, t0, t1)
    tws = queries.twitches(store, t0, t1)
    spans = queries.monitored(store, t0, t1)
    n_days = len(period.days)

    day_edges = np.asarray(period.day_edges_s())
    hour_edges = np.asarray(period.hour_edges_s())
    span_start = np.array([s.wall_s for s in spans], dtype=float)
    span_dur = np.array([s.duration_s for s in spans], dtype=float)
    tw_wall = np.array([t.wall_s for t in tws], dtype=float)
    ep_wall = np.array([e.wall_s for e in eps], dtype=float)
    ep_dur = np.array([e.duration_s for e in eps], dtype=float)

    worn_s = _binned_seconds(day_edges, np.array([s.started_wall_s for s in sess], dtype=float),
                             np.array([s.duration_s for s in sess], dtype=float))
    mon_day_s = _binned_seconds(day_edges, span_start, span_dur)
    tw_day = np.histogram(tw_wall, day_edges)[0] if len(tw_wall) else np.zeros(n_days, int)
    ep_day_idx = np.searchsorted(day_edges, ep_wall, side="right") - 1
    days: list[DayStats] = []
    for i, d in enumerate(period.days):
        durs = ep_dur[ep_day_idx == i]
        days.append(DayStats(
            day=d, worn_h=float(worn_s[i]) / 3600, monitored_h=float(mon_day_s[i]) / 3600,
            twitches=int(tw_day[i]), episodes=int(len(durs)),
            median_episode_s=float(np.median(durs)) if len(durs) else None,
            longest_episode_s=float(durs.max()) if len(durs) else None))

    mon_hour_s = _binned_seconds(hour_edges, span_start, span_dur).reshape(n_days, 24)
    tw_hour = (np.histogram(tw_wall, hour_edges)[0] if len(tw_wall) else np.zeros(n_days * 24)).reshape(n_days, 24)
    with np.errstate(divide="ignore", invalid="ignore"):
        heat = np.where(mon_hour_s >= MIN_BIN_MONITORED_S, tw_hour / (mon_hour_s / 3600.0), np.nan)

    sites = _site_stats(sess)
    detectors: dict[str, dict[str, Any]] = {}
    for s in sess:
        detectors.setdefault(s.detector_version or "unknown", s.detector)
    data = ReportData(
        period=period, days=days, heat_rate=heat, heat_monitored_h=mon_hour_s / 3600.0,
        episode_durations_s=ep_dur, episode_twitch_counts=np.array([e.twitch_count for e in eps], dtype=int),
        sites=sites, quality=_quality(sess, float(worn_s.sum()) / 3600, float(mon_day_s.sum()) / 3600),
        detectors=detectors, sessions=sess, episodes=eps, twitch_walls=tw_wall,
        notes=queries.notes(store, t0, t1), felt=queries.felt(store, t0, t1),
        red_flags=queries.red_flags(store, t0, t1))
    _daily_diary(data, day_edges)
    return data


COVARIATE_DAILY = {
    # column -> (how a day's entries combine, label)
    "caffeine_mg": ("sum", "Caffeine (mg)"),
    "stress_0_10": ("max", "Stress (0\u201310)"),
    "sleep_h": ("last", "Sleep (h)"),
    "exercise_min": ("sum", "Exercise (min)"),
    "alcohol_units": ("sum", "Alcohol (units)"),
}


def _daily_diary(data: ReportData, day_edges: np.ndarray) -> None:
    n = len(data.days)
    def day_of(wall_s: float) -> int:
        return int(np.searchsorted(day_edges, wall_s, side="right") - 1)
    cov: dict[str, list[float | None]] = {k: [None] * n for k in COVARIATE_DAILY}
    meds: list[set[str]] = [set() for _ in range(n)]
    notes = [0] * n
    for note in data.notes:
        i = day_of(note.wall_s)
        if not 0 <= i < n:
            continue
        if note.text:
            notes[i] += 1
        if note.medication:
            meds[i].add(note.medication)
        for key, (how, _label) in COVARIATE_DAILY.items():
            v = getattr(note, key)
            if v is None:
                continue
            old = cov[key][i]
            if old is None or how == "last":
                cov[key][i] = float(v)
            elif how == "sum":
                cov[key][i] = old + float(v)
            else:
                cov[key][i] = max(old, float(v))
    felt = [0] * n
    for f in data.felt:
        i = day_of(f.wall_s)
        if 0 <= i < n:
            felt[i] += 1
    data.covariates = cov
    data.medication = [", ".join(sorted(m)) for m in meds]
    data.notes_per_day = notes
    data.felt_per_day = felt


def _site_stats(sess: list[queries.SessionRow]) -> list[SiteStats]:
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0, 0.0, 0.0, 0, 0])
    for s in sess:
        a = acc[(s.site or "unknown", s.side or "")]
        a[0] += 1
        a[1] += s.duration_s / 3600
        a[2] += s.monitored_s / 3600
        a[3] += s.n_twitches
        a[4] += s.n_episodes
    return [SiteStats(site, side, int(a[0]), a[1], a[2], int(a[3]), int(a[4]))
            for (site, side), a in sorted(acc.items(), key=lambda kv: -kv[1][1])]


def _ledger_int(ledger: dict[str, Any], *keys: str) -> int:
    for k in keys:
        v = ledger.get(k)
        if isinstance(v, (int, float)):
            return int(v)
    return 0


def _quality(sess: list[queries.SessionRow], worn_h: float, monitored_h: float) -> Quality:
    expected = lost = reconnects = 0
    for s in sess:
        led = s.ledger or {}
        exp = _ledger_int(led, "samples_expected", "expected")
        expected += exp if exp else s.n_samples
        lost += _ledger_int(led, "samples_lost", "lost")
        reconnects += _ledger_int(led, "reconnects")
    return Quality(worn_h=worn_h, monitored_h=monitored_h, samples_expected=expected, samples_lost=lost,
                   reconnects=reconnects, recovered_sessions=sum(1 for s in sess if s.status == "recovered"),
                   sessions=len(sess))
