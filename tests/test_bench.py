"""fastsparse.bench's table: width, goals, the met column and the missed-targets line."""

import math

import pytest

from fastsparse.bench import WIDTH, format_rows, goal_text, met, ratio_row


def _kernel_rows():
    """Rows shaped like ``fastsparse bench kernels --size 128`` (numbers made up)."""
    cpu1 = {"cpu_ours_ms": 0.9, "cpu_yard_ms": 0.45, "cpu_speedup": 0.5}
    common = {"n": 128, "dtype": "complex128"}
    return [
        ratio_row("fwht", 1e-3, 0.505e-3, "pyfftw fft2", ("speedup >=", 1.0), threads=1,
                  **common, **cpu1),
        ratio_row("fwht", 0.8e-3, 0.9e-3, "pyfftw fft2", ("speedup >=", 1.0), threads=2,
                  **common),
        ratio_row("haar+ihaar", 0.2e-3, 1.5e-3, "pywt wavedec2+waverec2", ("speedup >=", 10.0),
                  threads=1, **common, **cpu1),
        ratio_row("SubsampledFourier fwd+adj", 1.1e-3, 1e-3, "pyFFTW fft2+ifft2",
                  ("slowdown <=", 1.2), slowdown=1.1, threads=1, **common, **cpu1),
        ratio_row("cold start: import + first fwht/haar/ihaar", 2.27, 0.9,
                  "numba floor (1 trivial cached kernel)", ("ours_ms <=", 1000.0), **common),
    ]  # fmt: skip


@pytest.mark.parametrize(
    "row, expected",
    [
        ({"speedup": 0.505, "goal": ("speedup >=", 1.0)}, False),
        ({"speedup": 1.0, "goal": ("speedup >=", 1.0)}, True),
        ({"ours_ms": 2270.0, "goal": ("ours_ms <=", 1000.0)}, False),
        ({"ours_ms": 812.0, "goal": ("ours_ms <=", 1000.0)}, True),
        ({"ratio": 1.31, "goal": ("ratio <=", 1.3)}, False),
        ({"x_it": 6.2, "goal": ("x_it >=", 6)}, True),
        ({"speedup": 2.0}, None),  # no goal
        ({"goal": ("speedup >=", 1.0)}, None),  # number missing
        ({"speedup": math.nan, "goal": ("speedup >=", 1.0)}, None),
        ({"speedup": "fast", "goal": ("speedup >=", 1.0)}, None),
    ],
)
def test_met_from_the_rows_numbers(row, expected):
    assert met(row) is expected


@pytest.mark.parametrize("goal", ["fwht <= fft2", ("speedup", 1.0), ("speedup >", 1.0), (1, 2, 3)])
def test_bad_goals_are_named(goal):
    with pytest.raises(ValueError, match="goal"):
        met({"speedup": 1.0, "goal": goal})


def test_ratio_row_target_text_from_goal():
    r = ratio_row("x", 2e-3, 1e-3, "y", ("slowdown <=", 1.2), slowdown=2.0)
    assert r["target"] == "slowdown <= 1.2" and r["goal"] == ("slowdown <=", 1.2)
    assert met(r) is False
    assert goal_text(("cpu_speedup >=", 1.5)) == "cpu_x >= 1.5"
    plain = ratio_row("x", 1e-3, 1e-3, "y", None)
    assert plain["target"] == "" and "goal" not in plain and met(plain) is None


def test_kernel_table_fits_and_flags_the_misses():
    lines = format_rows(_kernel_rows())
    assert max(len(s) for s in lines) <= WIDTH == 100
    assert lines[0] == "all rows: n=128, dtype=complex128"  # constant columns hoisted
    head = lines[1].split()
    assert head[0] == "case" and head[-2:] == ["target", "met"] and "cpu_ours" not in head
    assert "(continued)" not in lines
    end = next(i for i, s in enumerate(lines) if s.startswith("MISSED"))
    table, verdict = lines[:end], " ".join(lines[end:])
    verdicts = [s.split()[-1] for s in table if s.split()[-1] in ("yes", "NO")]
    assert verdicts == ["NO", "yes", "NO", "yes", "NO"]
    # CPU columns of the one-thread rows: a second line, under ours_ms / yard_ms / speedup
    cpu = [s for s in lines if s.startswith("  thread CPU")]
    assert len(cpu) == 3 and cpu[0].split()[2:] == ["0.9", "0.45", "0.5"]
    assert lines[1].index("ours_ms") == cpu[0].index("0.9")
    assert verdict.startswith("MISSED 3 of 5 targets:")
    assert "fwht (n=128, threads=1): speedup 0.505 (target speedup >= 1)" in verdict
    assert "haar+ihaar (n=128, threads=1): speedup 7.5 (target speedup >= 10)" in verdict
    assert "cold start: import + first fwht/haar/ihaar (n=128): ours_ms 2270" in verdict
    assert "threads=2" not in verdict


def test_all_met_and_not_measured():
    rows = [
        {"case": "a", "speedup": 2.0, "target": "speedup >= 1", "goal": ("speedup >=", 1.0)},
        {"case": "b", "target": "x_it >= 6", "goal": ("x_it >=", 6.0)},
        {"case": "c", "speedup": 0.5},
    ]
    lines = format_rows(rows)
    assert [s.split()[-1] for s in lines[1:4]] == ["yes", "-", "0.5"]
    assert lines[-1] == "all 1 measured targets met. not measured: b (target x_it >= 6)"
    assert format_rows([{"case": "a", "speedup": 1.0}])[-1].split() == ["a", "1"]  # no goal
    assert format_rows([]) == []


def test_too_wide_tables_continue_below():
    row = {"case": "a rather long case name", **{f"column_{i}": 1000.0 + i for i in range(12)}}
    row.update(target="column_0 >= 1", goal=("column_0 >=", 1.0))
    other = {f"column_{i}": 2000.0 + i for i in range(1, 12)}
    rows = [row, {**row, **other, "case": "b", "column_0": 0.5}]
    lines = format_rows(rows)
    assert max(len(s) for s in lines) <= 100
    assert "(continued)" in lines
    first = lines[: lines.index("(continued)")]
    assert first[0].split()[-2:] == ["target", "met"] and first[-1].split()[-1] == "NO"
    assert lines[lines.index("(continued)") + 1].startswith("case")
    assert "column_11" in " ".join(lines) and lines[-1].startswith("MISSED 1 of 2")


def test_cold_start_reports_the_size_it_measured(monkeypatch):
    from fastsparse.bench import transforms

    asked = []

    def fake(runs, n=512):
        asked.append(n)
        return 2.27, 0.9

    monkeypatch.setattr(transforms, "cold_start_seconds", fake)
    rows = transforms.rows(sizes=[16], thread_counts=[1], repeats=1)
    cold = rows[-1]
    assert asked == [16] and cold["n"] == 16 and met(cold) is False
    lines = format_rows(rows)
    verdict = " ".join(lines[next(i for i, s in enumerate(lines) if s.startswith("MISSED")) :])
    assert "cold start: import + first fwht/haar/ihaar (n=16): ours_ms 2270" in verdict
