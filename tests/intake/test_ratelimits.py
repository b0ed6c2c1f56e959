"""The in-process fixed window that keeps the rate limits while Redis is unreachable."""

from __future__ import annotations

import pytest

from intake.ratelimits import LocalWindows, parse_rate


@pytest.mark.parametrize(
    ("rate", "expected"),
    [("10/m", (10, 60)), ("100/5m", (100, 300)), ("3/s", (3, 1)), ("1/d", (1, 86400))],
)
def test_rates_read_as_django_ratelimit_writes_them(rate: str, expected: tuple[int, int]) -> None:
    assert parse_rate(rate) == expected


@pytest.mark.parametrize("rate", ["ten/m", "10/w", "10", "/m", ""])
def test_a_malformed_rate_is_refused_naming_it(rate: str) -> None:
    with pytest.raises(ValueError, match="Not a rate"):
        parse_rate(rate)


def test_a_window_allows_the_rate_then_says_how_long_to_wait() -> None:
    windows = LocalWindows()

    answers = [windows.hit(group="g", key="a", rate="2/m", now=120.0 + i) for i in range(3)]

    assert answers == [None, None, 58]  # the window [120, 180) ends in 58 s at t=122


def test_keys_and_groups_count_apart_and_the_next_window_starts_afresh() -> None:
    windows = LocalWindows()
    windows.hit(group="g", key="a", rate="1/m", now=0.0)

    assert windows.hit(group="g", key="b", rate="1/m", now=1.0) is None
    assert windows.hit(group="h", key="a", rate="1/m", now=1.0) is None
    assert windows.hit(group="g", key="a", rate="1/m", now=2.0) == 58
    assert windows.hit(group="g", key="a", rate="1/m", now=60.0) is None


def test_memory_stays_bounded_by_dropping_past_windows() -> None:
    windows = LocalWindows(max_entries=3)
    for n in range(3):
        windows.hit(group="g", key=f"old{n}", rate="1/m", now=0.0)

    windows.hit(group="g", key="new", rate="1/m", now=61.0)

    assert len(windows._counts) == 1
    for n in range(5):
        windows.hit(group="g", key=f"now{n}", rate="1/m", now=62.0)
    assert len(windows._counts) <= 3
