"""At start the app closes a session that a crash left open, and says so in its banner."""

from twitchwatch.store import writes
from twitchwatch.store.db import Store
from twitchwatch.ui.controller import AppController as Controller


def test_app_start_recovers_an_interrupted_session(tmp_path):
    with Store.open(tmp_path) as store:
        writes.new_session(store, started_wall_s=1_795_000_000.0, fs_hz=208, has_gyro=True)
    c = Controller(tmp_path, record=False)
    try:
        assert c.recovery_note and "\n" not in c.recovery_note
        assert c.banner().startswith(c.recovery_note)
    finally:
        c.store.close()
    c2 = Controller(tmp_path, record=False)      # recovered once, not again
    try:
        assert c2.recovery_note is None
    finally:
        c2.store.close()
