"""The accuracy benchmark pools several placements of the model twitches per clip, and its
first placement is the single one of earlier benchmarks (so old figures stay reproducible)."""

from twitchwatch.bench.accuracy import evaluate_ha24
from twitchwatch.detect import DetectorParams
from twitchwatch.io import write_recording
from twitchwatch.model.simulate import SimConfig, simulate


def tiny_dataset(folder):
    """Two 60 s 'clips' of a simulated still-ish background, in the ha24-dev layout."""
    folder.mkdir()
    rows = ["file,user,activity"]
    for k, activity in enumerate(("idle_hands", "using_the_computer_mouse")):
        rec, _ = simulate(SimConfig(duration_s=60.0, fs_hz=104.0, seed=50 + k, episodes_per_hour=0,
                                    isolated_per_hour=0, movement_fraction=0.2 * k))
        name = f"{k:03d}_1_{activity}.csv.gz"
        write_recording(rec, folder / name)
        rows.append(f"{name},1,{activity}")
    (folder / "manifest.csv").write_text("\n".join(rows) + "\n")
    return folder


def test_placements_are_pooled_and_the_first_is_the_old_one(tmp_path):
    data = tiny_dataset(tmp_path / "ha24")
    params = DetectorParams()
    one = evaluate_ha24(data, params, None, {1}, seeds=1)
    three = evaluate_ha24(data, params, None, {1}, seeds=3, jobs=2)
    assert len(three["per_seed"]) == 3
    first = three["per_seed"][0]
    assert (first.tp, first.fn, first.fp) == (one["tally"].tp, one["tally"].fn, one["tally"].fp)
    pooled = three["tally"]
    assert sum(pooled.tp) + sum(pooled.fn) == sum(sum(t.tp) + sum(t.fn) for t in three["per_seed"])
    truths = [sum(t.tp) + sum(t.fn) for t in three["per_seed"]]
    assert min(truths) > 0
    # other placements put other twitches in: the per-placement truths are not all the same draw
    assert len({(tuple(t.tp), tuple(t.fn)) for t in three["per_seed"]}) > 1
    # the untouched clips are scored once, however many placements
    for activity, act in three["activities"].items():
        assert act["duration_s"] == one["activities"][activity]["duration_s"]
        assert act["false_twitches"] == one["activities"][activity]["false_twitches"]
    assert sum(act["true_twitches"] for act in three["activities"].values()) == sum(truths)
