"""The formatting helpers: times, durations, sizes, progress bars and "did you mean"."""

from datetime import UTC, datetime, timedelta

from bot.core.formatting import compact_duration, did_you_mean, human_size, progress_bar, time_ago


def test_age_reads_like_a_person_wrote_it():
    now = datetime(2026, 11, 23, 12, tzinfo=UTC)
    assert time_ago(now - timedelta(days=3, hours=2), now) == "3 days ago"
    assert time_ago(now - timedelta(days=1), now) == "1 day ago"
    assert time_ago(now - timedelta(seconds=20), now) == "just now"
    assert time_ago(now - timedelta(days=400), now) == "1 year ago"
    assert time_ago(now + timedelta(days=61), now) == "in 2 months"


def test_durations_sizes_and_bars_are_compact():
    assert [compact_duration(s) for s in (5, 200, 7300, 90000)] == ["5s", "3m", "2h", "1d"]
    assert human_size(512) == "512 B" and human_size(12_300_000) == "12.3 MB"
    assert progress_bar(0.6) == "▓▓▓▓▓▓░░░░" and progress_bar(7) == "▓" * 10


def test_did_you_mean_names_every_candidate_or_says_nothing():
    assert did_you_mean(["help", "jobs"]) == " Did you mean `help` or `jobs`?"
    assert did_you_mean([]) == ""
