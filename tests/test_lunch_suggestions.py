"""What may go to Lunch, and which videos the Lunch screen suggests."""

from __future__ import annotations

from datetime import timedelta

from devfeed.lunch import can_queue_for_lunch, suggestion_follows, suggestions_query
from devfeed.models import Follow, Story
from tests.conftest import FROZEN_NOW


def video(kind: str = "video") -> Story:
    return Story(
        id=1,
        title="Video",
        url="https://video.example.org/1",
        kind=kind,  # type: ignore[arg-type]
        duration_s=600,
        published=FROZEN_NOW - timedelta(days=1),
        author=None,
        summary="",
        read=False,
        saved=False,
        lunch=False,
    )


def test_only_videos_and_podcasts_go_to_lunch() -> None:
    assert can_queue_for_lunch(video()) and can_queue_for_lunch(video("podcast"))
    assert not can_queue_for_lunch(video("article"))


def test_suggestions_come_from_profiles_not_hashtags() -> None:
    channel = Follow(platform="youtube", profile="SomeChannel")
    feed = Follow(platform="rss", url="https://talks.example.org/feed.xml")
    tag = Follow(platform="mastodon", instance="fosstodon.org", hashtag="python")
    assert suggestion_follows([channel, feed, tag]) == {channel.key, feed.key}
    query = suggestions_query([channel, tag], long_video_minutes=10)
    assert query.follows == {channel.key} and query.min_duration_s == 600
    assert query.unread_only and query.lunch_candidates
