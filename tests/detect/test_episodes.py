"""Episodes: twitches grouped into runs (docs/detector.md step 8)."""

import pytest

from twitchwatch.detect import DetectorParams, detect

from detect_helpers import FS, add_twitch, still_background


@pytest.mark.parametrize("count, min_twitches, episodes", [(2, 3, 0), (3, 3, 1), (2, 2, 1)])
def test_an_episode_is_a_run_of_at_least_three_twitches(count, min_twitches, episodes):
    """Since 2.4 two twitches 0.6 s apart are two isolated twitches, three are an episode
    (``episode_min_twitches``, 2 before)."""
    accel, gyro = still_background(30.0)
    times = [15.0 + 0.6 * k for k in range(count)]
    for t in times:
        add_twitch(accel, gyro, t, peak_g=0.08, tilt_deg=0.3)
    out = detect(accel, gyro, FS, DetectorParams(episode_min_twitches=min_twitches))
    assert len(out.twitches) == count
    assert len(out.episodes) == episodes
    assert all(e.twitch_count == count for e in out.episodes)
