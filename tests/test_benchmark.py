"""`python -m llexp.benchmark` runs both trainers and prints its table (a smoke test, not timed)."""

from llexp.benchmark import main


def test_benchmark_times_both_trainers_and_prints_the_ratio(capsys):
    medians = main(
        [
            "--repeats",
            "1",
            "--epochs",
            "1",
            "dataset.subset=200",
            "model.width=4",
            "model.depth=1",
            "trainer.batch_size=64",
        ]
    )
    assert set(medians) == {"fit", "tape"} and min(medians.values()) > 0
    out = capsys.readouterr().out
    assert "180 images, batch 64" in out  # 200 minus the 10% validation split; the override
    assert "tape / fit = " in out
