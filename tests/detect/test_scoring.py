"""The benchmark's scoring: one-to-one onset matching, per-band tallies, monitored sensitivity."""

from twitchwatch.bench.scoring import score
from twitchwatch.model.truth import GroundTruth, TrueEpisode, TrueTwitch


def summary(onsets_s, monitored_spans, episodes=()):
    return {"twitches": [{"onset_s": t} for t in onsets_s], "monitored_spans": monitored_spans,
            "episodes": [{"start_s": a, "end_s": b} for a, b in episodes]}


def test_matching_is_one_to_one_within_100_ms_and_counts_monitored_time():
    truth = GroundTruth(twitches=[TrueTwitch(1.0, 0.1, 0.02), TrueTwitch(5.0, 0.1, 0.06),
                                  TrueTwitch(9.0, 0.1, 0.15), TrueTwitch(20.0, 0.1, 0.03)])
    # 1.05 hits 1.0; 1.08 is a second detection of the same twitch (false); 5.2 is too late;
    # 9.0 hits; 30.0 is false. The twitch at 20 s lies in unmonitored time.
    t = score(summary([1.05, 1.08, 5.2, 9.0, 30.0], [[0.0, 10.0]]), truth)
    assert t.tp == [1, 0, 0, 1] and t.fn == [0, 1, 1, 0]
    assert t.fp == 3
    assert (t.tp_monitored, t.fn_monitored) == (2, 1)
    assert t.monitored_sensitivity() == 2 / 3
    assert t.monitored_share() == 3 / 4


def test_episode_duration_error_uses_the_best_overlapping_episode():
    truth = GroundTruth(episodes=[TrueEpisode(10.0, 14.0, 6)])
    t = score(summary([], [], episodes=[(9.0, 9.5), (10.2, 13.9)]), truth)
    assert (t.ep_tp, t.ep_fp, t.ep_fn) == (1, 1, 0)
    assert abs(t.ep_duration_errors_s[0] - 0.3) < 1e-9
