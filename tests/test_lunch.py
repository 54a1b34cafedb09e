"""The Lunch planner against a brute-force oracle, its edge cases, and `devfeed lunch`
(queue, done, plan, play) through the real command line on a real database."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from devfeed import api
from devfeed.cli import main as cli
from devfeed.lunch import MAX_VIDEOS, best_subset, plan
from devfeed.models import Story
from devfeed.store import Store
from tests.conftest import FROZEN_NOW
from tests.helpers import entry, follow, result


def video(n: int, duration_s: int | None, queued_hours_ago: float | None = None) -> Story:
    queued = FROZEN_NOW - timedelta(hours=queued_hours_ago if queued_hours_ago is not None else n)
    return Story(
        id=n,
        title=f"Video {n}",
        url=f"https://videos.example/{n}",
        kind="video",
        duration_s=duration_s,
        published=FROZEN_NOW - timedelta(days=10),
        author=None,
        summary="",
        read=False,
        saved=False,
        lunch=True,
        lunch_at=queued,
    )


def oracle(stories: Sequence[Story], minutes: int) -> list[int]:
    """Every subset, tried: the most seconds not over the break; among equals, the one
    that keeps the oldest-queued videos it can."""
    known = sorted(
        (s for s in stories if s.duration_s), key=lambda s: (s.lunch_at, s.published, s.id)
    )
    best: tuple[int, tuple[bool, ...]] = (0, tuple(False for _ in known))
    for mask in itertools.product((False, True), repeat=len(known)):
        total = sum(s.duration_s or 0 for s, taken in zip(known, mask, strict=True) if taken)
        if total <= minutes * 60:
            best = max(best, (total, mask))
    return [s.id for s, taken in zip(known, best[1], strict=True) if taken]


@settings(max_examples=300, deadline=None)
@given(
    durations=st.lists(
        st.one_of(st.none(), st.integers(min_value=1, max_value=40 * 60)), max_size=10
    ),
    ages=st.lists(st.integers(min_value=0, max_value=5), min_size=10, max_size=10),
    minutes=st.integers(min_value=1, max_value=90),
)
def test_the_plan_is_the_brute_force_optimum(
    durations: list[int | None], ages: list[int], minutes: int
) -> None:
    stories = [video(i + 1, d, ages[i]) for i, d in enumerate(durations)]
    got = plan(stories, minutes)
    assert [s.id for s in got.videos] == oracle(stories, minutes)
    assert got.total_s == sum(s.duration_s or 0 for s in got.videos) <= minutes * 60
    assert {s.id for s in got.unknown} == {s.id for s in stories if s.duration_s is None}
    everything = [*got.videos, *got.left_out, *got.unknown]
    assert sorted(s.id for s in everything) == sorted(s.id for s in stories)


@given(st.lists(st.integers(min_value=1, max_value=500), max_size=12), st.integers(0, 2000))
def test_best_subset_reaches_the_best_reachable_total(durations: list[int], budget: int) -> None:
    chosen = best_subset(durations, budget)
    reachable = {
        sum(c) for r in range(len(durations) + 1) for c in itertools.combinations(durations, r)
    }
    assert sum(durations[i] for i in chosen) == max(t for t in reachable if t <= budget)


def test_nothing_fits() -> None:
    stories = [video(1, 50 * 60), video(2, 46 * 60), video(3, None)]
    got = plan(stories, 45)
    assert got.videos == () and got.total_s == 0 and got.spare_s == 45 * 60
    assert [s.id for s in got.left_out] == [2, 1]  # oldest queued first
    assert [s.id for s in got.unknown] == [3]


def test_an_exact_fit_fills_the_break_to_the_second() -> None:
    stories = [video(1, 22 * 60 + 35), video(2, 22 * 60 + 25), video(3, 60)]
    got = plan(stories, 45)
    assert sorted(s.id for s in got.videos) == [1, 2]
    assert got.total_s == 45 * 60 and got.spare_s == 0


def test_three_short_videos_beat_one_long_one_when_they_fill_more() -> None:
    stories = [video(1, 44 * 60, queued_hours_ago=100)] + [video(n, 15 * 60) for n in (2, 3, 4)]
    assert sorted(s.id for s in plan(stories, 45).videos) == [2, 3, 4]


def test_one_long_video_beats_three_short_ones_when_it_fills_more() -> None:
    stories = [video(1, 45 * 60)] + [video(n, 14 * 60 + 59) for n in (2, 3, 4)]
    assert [s.id for s in plan(stories, 45).videos] == [1]


def test_ties_go_to_the_oldest_queued_video() -> None:
    stories = [video(1, 30 * 60, queued_hours_ago=1), video(2, 30 * 60, queued_hours_ago=9)]
    got = plan(stories, 45)
    assert [s.id for s in got.videos] == [2]
    assert [s.id for s in got.left_out] == [1]


def test_the_plan_is_watched_oldest_first() -> None:
    stories = [video(n, 10 * 60, queued_hours_ago=n) for n in (1, 2, 3)]
    assert [s.id for s in plan(stories, 45).videos] == [3, 2, 1]


def test_a_long_queue_is_planned_over_its_oldest_videos() -> None:
    stories = [video(n, 60, queued_hours_ago=n) for n in range(1, MAX_VIDEOS + 51)]
    got = plan(stories, 24 * 60)
    assert len(got.videos) == MAX_VIDEOS
    assert min(s.id for s in got.videos) == 51  # the 50 newest wait
    assert len(got.left_out) == 50


@pytest.mark.parametrize("minutes", [0, -5, 24 * 60 + 1])
def test_a_break_out_of_range_is_refused(minutes: int) -> None:
    with pytest.raises(ValueError, match="lunch break"):
        plan([video(1, 60)], minutes)


# -- the command line -------------------------------------------------------------------


async def seed(db: Path) -> None:
    """Four long videos on a channel (ids 1-4), queued for Lunch oldest first."""
    channel = follow("https://videos.example/feed", name="Channel")
    lengths = [25 * 60, 20 * 60, 40 * 60, None]
    entries = [
        entry(n, kind="video", duration_s=length, url=f"https://videos.example/{n}")
        for n, length in enumerate(lengths, start=1)
    ]
    async with await Store.open(db) as store:
        await store.apply(result(channel, entries))
        for n in range(1, 5):
            await store.lunch(n, FROZEN_NOW - timedelta(hours=10 - n))


def invoke(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    done = runner.invoke(
        cli, ["--config", str(tmp_path / "feeds.toml"), "--db", str(tmp_path / "d.db"), *args]
    )
    return done.exit_code, done.stdout, done.stderr


def ids(tmp_path: Path, *args: str) -> list[int]:
    code, out, err = invoke(tmp_path, "list", "--json", *args)
    assert code == 0, err
    return [s["id"] for s in json.loads(out)["stories"]]


@pytest.fixture
def queued(tmp_path: Path) -> Path:
    import asyncio

    (tmp_path / "feeds.toml").write_text("[settings]\nlunch_minutes = 45\n")
    asyncio.run(seed(tmp_path / "d.db"))
    return tmp_path


def test_the_old_lunch_id_form_still_queues_and_undoes(queued: Path) -> None:
    code, _, err = invoke(queued, "lunch", "--undo", "2")
    assert code == 0, err
    assert ids(queued, "--queue", "lunch") == [4, 3, 1]
    code, out, _ = invoke(queued, "lunch", "2")
    assert code == 0 and out.split()[0] == "2"
    assert ids(queued, "--queue", "lunch") == [2, 4, 3, 1]
    assert invoke(queued, "lunch", "add", "1")[0] == 0  # the explicit form


def test_done_videos_leave_the_queue_but_stay_findable(queued: Path) -> None:
    code, _, err = invoke(queued, "lunch", "done", "3")
    assert code == 0, err
    assert ids(queued, "--queue", "lunch") == [4, 2, 1]
    assert ids(queued, "--queue", "lunch", "--done") == [3]
    code, out, _ = invoke(queued, "list", "--queue", "lunch", "--done", "--json")
    assert json.loads(out)["stories"][0]["lunch_done_at"] is not None
    assert invoke(queued, "lunch", "done", "--undo", "3")[0] == 0
    assert ids(queued, "--queue", "lunch", "--done") == []
    assert 3 in ids(queued, "--queue", "lunch")
    assert invoke(queued, "list", "--done")[0] == 2  # --done needs --queue lunch
    assert invoke(queued, "lunch", "done", "999")[0] == 2


def test_lunch_plan_prints_the_plan_and_json(queued: Path) -> None:
    code, out, err = invoke(queued, "lunch", "plan")
    assert code == 0, err
    lines = out.splitlines()
    # 45 minutes: 25 + 20 exactly (40 alone is less); id 4 has no known length
    assert lines[0] == "45:00 of 45 minutes (2 videos, 0:00 spare)"
    assert [line.split()[0] for line in lines[1:3]] == ["1", "2"]
    assert "25:00" in lines[1] and "Post number 1" in lines[1]
    assert lines[-1] == "length unknown, not planned: 4"
    code, out, _ = invoke(queued, "lunch", "plan", "--minutes", "41", "--json")
    document = json.loads(out)
    assert [v["id"] for v in document["videos"]] == [3]
    assert (document["minutes"], document["total_s"], document["spare_s"]) == (41, 2400, 60)
    assert [v["id"] for v in document["unknown_length"]] == [4]
    assert invoke(queued, "lunch", "plan", "--minutes", "0")[0] == 2


FAKE_PLAYER = """
import json, sys, pathlib
pathlib.Path(sys.argv[1]).write_text(json.dumps(sys.argv[2:]))
sys.exit(int(sys.argv[2]))
"""


def player_config(tmp_path: Path, status: int) -> Path:
    script = tmp_path / "player.py"
    script.write_text(FAKE_PLAYER)
    record = tmp_path / "argv.json"
    (tmp_path / "feeds.toml").write_text(
        "[settings]\nlunch_minutes = 45\n"
        f"player = {json.dumps([sys.executable, str(script), str(record), str(status)])}\n"
    )
    return record


def test_lunch_play_runs_the_player_with_the_plan_and_marks_it_watched(queued: Path) -> None:
    record = player_config(queued, 0)
    code, _, err = invoke(queued, "lunch", "play")
    assert code == 0, err
    assert json.loads(record.read_text()) == [
        "0",
        "--",
        "https://videos.example/1",
        "https://videos.example/2",
    ]
    assert "marked 2 watched" in err
    assert ids(queued, "--queue", "lunch") == [4, 3]
    assert sorted(ids(queued, "--queue", "lunch", "--done")) == [1, 2]


@pytest.mark.parametrize(("status", "flags"), [(3, []), (0, ["--keep"])])
def test_lunch_play_marks_nothing_when_the_player_fails_or_when_asked(
    queued: Path, status: int, flags: list[str]
) -> None:
    record = player_config(queued, status)
    code, _, err = invoke(queued, "lunch", "play", "--minutes", "41", *flags)
    assert json.loads(record.read_text())[-1] == "https://videos.example/3"
    assert code == (1 if status else 0), err
    assert ids(queued, "--queue", "lunch", "--done") == []


def test_lunch_play_with_nothing_that_fits_exits_2(queued: Path) -> None:
    player_config(queued, 0)
    code, _, err = invoke(queued, "lunch", "play", "--minutes", "5")
    assert code == 2 and "nothing in the Lunch queue fits" in err


async def test_play_plan_never_hands_the_player_a_non_http_url(tmp_path: Path) -> None:
    bad = video(9, 60).model_copy(update={"url": "javascript:alert(1)"})
    good = video(8, 60)
    got = plan([bad, good], 5)
    seen: list[list[str]] = []

    def run(argv: Sequence[str]) -> int:
        seen.append(list(argv))
        return 0

    async with await Store.open(tmp_path / "e.db") as store:
        played = await api.play_plan(store, got, ["mpv"], now=FROZEN_NOW, keep=True, run=run)
    assert seen == [["mpv", "--", "https://videos.example/8"]]
    assert [s.id for s in played.skipped] == [9]
