"""twitchwatch: an objective muscle-twitch diary from a small accelerometer worn on the muscle.

The package is laid out along the data path::

    sources/  -> ble/ (decoder) -> link/ (sample buffer, ledger) -> detect/ -> store/ -> export/
                                                                       └─> ui/ (Qt, live view)

``io/`` reads and writes recordings, ``model/`` simulates twitches and backgrounds with ground
truth, ``bench/`` measures accuracy and speed.
"""

import os as _os

# One BLAS thread unless the user chose otherwise (set before numpy is first imported): the
# detector's matrices are small (at most 60 x 60), and OpenBLAS's spinning threads only compete
# with the app, the radio and each other (bench accuracy's worker processes ran 2.8x slower).
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

__version__ = "0.1.0"
