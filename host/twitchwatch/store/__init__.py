"""The diary store: SQLite (WAL) in the user's data folder plus one ``.twr`` file per session.

Entry points: :class:`Store` (open the diary), :mod:`.writes` (add notes, felt events,
red flags), :mod:`.queries` (read rows back), :class:`SessionRecorder` (live sessions) and
:func:`recover_interrupted` (close sessions a crash left open).
"""

from .db import Store
from .paths import resolve_data_dir
from .recorder import SessionRecorder
from .recovery import recover_interrupted

__all__ = ["Store", "SessionRecorder", "recover_interrupted", "resolve_data_dir"]
