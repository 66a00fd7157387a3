"""Accuracy on real wrist backgrounds (``../shared/data/ha24-dev``, all users, native ~104 Hz, five
placements of model twitches): a regression floor under the figures docs/detector.md publishes
for detector 2.5.0 (2.5.1 counts the same), and the issue's targets where the detector meets
them. Skipped where the shared data are absent (a user's machine); CI has them beside the
project. Full figures: ``twitchwatch bench accuracy``."""

import pytest

from twitchwatch.bench.accuracy import DEFAULT_DATA, SPLITS, STILL_ACTIVITIES, evaluate_ha24
from twitchwatch.detect import DetectorParams

pytestmark = pytest.mark.skipif(not (DEFAULT_DATA / "manifest.csv").exists(),
                                reason=f"{DEFAULT_DATA} not found (it lives in ../shared/data)")


@pytest.fixture(scope="module")
def result():
    return evaluate_ha24(DEFAULT_DATA, DetectorParams(), None, SPLITS["all"], seeds=5, jobs=2)


def test_twitches_and_episodes(result):
    t = result["tally"]
    assert sum(t.tp) + sum(t.fn) > 2000
    assert t.sensitivity() >= 0.80           # published 0.822 (target 0.9: not met)
    assert t.precision() >= 0.93             # published 0.940 (target 0.9)
    assert t.episode_f1() >= 0.92            # published 0.939 (target 0.9)
    assert t.median_duration_error_s() <= 0.3
    assert t.sensitivity(3) >= 0.95          # 100-200 mg, published 0.974


def test_false_twitches_and_monitored_time(result):
    acts = result["activities"]
    hand = [a for a in acts if a not in STILL_ACTIVITIES]
    false_per_h = sum(acts[a]["false_twitches"] for a in hand) / (sum(acts[a]["duration_s"] for a in hand) / 3600)
    assert false_per_h <= 5.0                # target; published 2.2
    monitored = {a: acts[a]["monitored_s"] / acts[a]["duration_s"] for a in acts}
    assert monitored["idle_hands"] >= 0.75 and monitored["reading_a_book"] >= 0.60   # published 0.78, 0.65
    assert monitored["typing_on_the_keyboard"] <= 0.02 and monitored["writing_with_a_pen"] <= 0.02
