"""Report periods: local calendar days, parsed from the command line with one-line errors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..errors import ConfigError

MAX_REPORT_DAYS = 31


def parse_date(text: str, what: str) -> date:
    """``YYYY-MM-DD`` (or ``today``) to a date; a ConfigError naming ``what`` otherwise."""
    text = (text or "").strip()
    if text.lower() == "today":
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-05-01") from None


def local_midnight_s(day: date) -> float:
    """Unix time of local midnight at the start of ``day`` (DST-aware)."""
    return datetime.combine(day, time()).astimezone().timestamp()


@dataclass(frozen=True)
class Period:
    """Whole local days ``first`` to ``last`` inclusive."""

    first: date
    last: date

    @classmethod
    def from_args(cls, from_text: str | None, to_text: str | None, *, max_days: int = MAX_REPORT_DAYS) -> "Period":
        last = parse_date(to_text, "--to") if to_text else date.today()
        first = parse_date(from_text, "--from") if from_text else last - timedelta(days=min(max_days, 30) - 1)
        return cls.checked(first, last, max_days=max_days)

    @classmethod
    def checked(cls, first: date, last: date, *, max_days: int = MAX_REPORT_DAYS) -> "Period":
        if first > last:
            raise ConfigError(f"--from {first} is after --to {last}; swap them")
        if first.year < 2000 or last > date.today() + timedelta(days=1):
            raise ConfigError(f"dates {first} to {last} are out of range (2000-01-01 to today)")
        n = (last - first).days + 1
        if n > max_days:
            raise ConfigError(
                f"{first} to {last} is {n} days; a report covers at most {max_days} days, so pick a shorter span"
            )
        return cls(first, last)

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    @property
    def start_s(self) -> float:
        return local_midnight_s(self.first)

    @property
    def end_s(self) -> float:
        return local_midnight_s(self.last + timedelta(days=1))

    def day_edges_s(self) -> list[float]:
        """Local midnights bounding each day (len = days + 1)."""
        return [local_midnight_s(d) for d in self.days] + [self.end_s]

    def hour_edges_s(self) -> list[float]:
        """Local hour starts of every day (days × 24 + 1 edges; DST days keep 24 bins)."""
        edges: list[float] = []
        for d in self.days:
            edges.extend(datetime.combine(d, time(h)).astimezone().timestamp() for h in range(24))
        edges.append(self.end_s)
        return edges

    def label(self) -> str:
        f, l = self.first, self.last
        if f == l:
            return f"{l.day} {l:%B %Y}"
        if (f.year, f.month) == (l.year, l.month):
            return f"{f.day}\u2013{l.day} {l:%B %Y}"
        if f.year == l.year:
            return f"{f.day} {f:%B} \u2013 {l.day} {l:%B %Y}"
        return f"{f.day} {f:%B %Y} \u2013 {l.day} {l:%B %Y}"
