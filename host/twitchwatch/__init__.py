"""twitchwatch: an objective muscle-twitch diary from a small accelerometer worn on the muscle.

The package is laid out along the data path::

    sources/  -> ble/ (decoder) -> link/ (sample buffer, ledger) -> detect/ -> store/ -> export/
                                                                       └─> ui/ (Qt, live view)

``io/`` reads and writes recordings, ``model/`` simulates twitches and backgrounds with ground
truth, ``bench/`` measures accuracy and speed.
"""

__version__ = "0.1.0"
