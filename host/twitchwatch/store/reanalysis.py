"""Re-running stored sessions through the current detector, for ``twitchwatch reanalyze``."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import TwitchwatchError
from . import writes
from .db import Store
from .queries import SessionRow


@dataclass(frozen=True)
class Reanalysis:
    session_id: int
    started_wall_s: float
    stored_version: str
    stored_twitches: int
    stored_episodes: int
    new_version: str = ""
    new_twitches: int = 0
    new_episodes: int = 0
    cut_note: str | None = None
    error: str | None = None


def reanalyze_sessions(store: Store, rows: list[SessionRow], *, save: bool = False) -> list[Reanalysis]:
    """Run each session's readable recording through the current default detector."""
    from ..io.native import read_native
    from .rerun import run_detector

    out: list[Reanalysis] = []
    for s in rows:
        if not s.recording:
            continue
        base = Reanalysis(s.id, s.started_wall_s, s.detector_version, s.n_twitches, s.n_episodes)
        try:
            rec = read_native(store.data_dir / s.recording)
            result, info = run_detector(rec)
        except TwitchwatchError as exc:
            out.append(replace(base, error=str(exc)))
            continue
        if save:
            writes.replace_output(store, s.id, result, info)
        out.append(replace(base, new_version=str(info["version"]), new_twitches=len(result.twitches),
                           new_episodes=len(result.episodes), cut_note=rec.cut_note))
    return out
