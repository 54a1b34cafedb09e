"""The command line: parses arguments, calls one core function, prints.

Data goes to stdout, diagnostics to stderr. Exit codes (a contract): 0 success,
1 partial failure (some sources failed), 2 bad usage or bad config.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, TypeVar

import click

from devfeed import __version__, api, following
from devfeed.config import Config, config_path, db_path, load_config
from devfeed.durations import format_duration
from devfeed.errors import DevfeedError, ExitCode, exit_code_for
from devfeed.export import stories_json
from devfeed.models import Story
from devfeed.opml import MAX_OPML_BYTES
from devfeed.poller import SourceReport
from devfeed.sanitize import clean_line
from devfeed.store import FeedQuery, View

T = TypeVar("T")


@dataclass
class Context:
    """What every command needs: where the config and the database are."""

    config_arg: Path | None
    db_arg: Path | None

    def config(self) -> Config:
        explicit = self.config_arg is not None or bool(os.environ.get("DEVFEED_CONFIG"))
        return load_config(config_path(self.config_arg), explicit=explicit)

    @property
    def db(self) -> Path:
        return db_path(self.db_arg)


def fail(error: DevfeedError) -> NoReturn:
    click.echo(f"devfeed: error: {error}", err=True)
    sys.exit(exit_code_for(error))


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one core coroutine; turn devfeed's errors into a message and an exit code."""
    try:
        return asyncio.run(coro)
    except DevfeedError as error:
        fail(error)


def now() -> datetime:
    return datetime.now(UTC)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_arg",
    type=click.Path(dir_okay=False, path_type=Path),
    help="feeds.toml to use (default: $DEVFEED_CONFIG, then the user config dir, "
    "then the bundled starter set).",
)
@click.option(
    "--db",
    "db_arg",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite database (default: $DEVFEED_DB, then the user data dir).",
)
@click.version_option(__version__, prog_name="devfeed")
@click.pass_context
def main(ctx: click.Context, config_arg: Path | None, db_arg: Path | None) -> None:
    """One deduplicated feed of the hashtags and developer profiles you follow.

    Without a command, opens the reader.
    """
    ctx.obj = Context(config_arg=config_arg, db_arg=db_arg)
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


def _config(ctx: Context) -> Config:
    try:
        return ctx.config()
    except DevfeedError as error:
        fail(error)


def _report_line(report: SourceReport) -> str:
    name = clean_line(report.follow.label, max_length=60)
    where = f"{name} ({report.follow.platform})"
    if report.label == "failed":
        return f"failed     {where}: {report.error}"
    if report.label == "new":
        return f"new {report.new_entries:>6}  {where}"
    return f"unchanged   {where}"


@main.command()
@click.option(
    "--once", "mode", flag_value="once", default=True, help="Poll once and exit (default)."
)
@click.option(
    "--daemon", "mode", flag_value="daemon", help="Poll forever, each follow on its interval."
)
@click.option("--due", is_flag=True, help="With --once: poll only the follows that are due.")
@click.pass_obj
def poll(ctx: Context, mode: str, due: bool) -> None:
    """Poll the follows, print one line per source on stderr, exit 1 if any failed."""
    config = _config(ctx)

    def report(item: SourceReport) -> None:
        click.echo(_report_line(item), err=True)

    if mode == "daemon":
        run(api.run_daemon(config, ctx.db, on_report=report))
        return
    reports = run(api.poll(config, ctx.db, only_due=due, on_report=report))
    failed = sum(1 for r in reports if r.label == "failed")
    new = sum(r.new_stories for r in reports)
    click.echo(f"polled {len(reports)} sources: {new} new stories, {failed} failed", err=True)
    sys.exit(ExitCode.PARTIAL_FAILURE if failed else ExitCode.OK)


def _story_line(story: Story) -> str:
    marks = (
        ("·" if story.read else "●") + ("S" if story.saved else " ") + ("L" if story.lunch else " ")
    )
    platforms = ",".join(dict.fromkeys(s.platform for s in story.seen_on)) or "-"
    duration = f" [{format_duration(story.duration_s)}]" if story.duration_s else ""
    date = story.published.strftime("%Y-%m-%d")
    return f"{story.id:>7} {marks} {date} {platforms:<16} {clean_line(story.title)}{duration}"


@main.command(name="list")
@click.option(
    "--queue", type=click.Choice(["saved", "lunch"]), help="List a queue instead of the feed."
)
@click.option("--unread", is_flag=True, help="Only unread stories.")
@click.option("--json", "as_json", is_flag=True, help='One JSON document: {"stories": [...]}.')
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="At most this many stories, newest first (0: all).",
)
@click.pass_obj
def list_(ctx: Context, queue: str | None, unread: bool, as_json: bool, limit: int) -> None:
    """List stories, newest first."""
    query = FeedQuery(view=View(queue) if queue else View.FEED, unread_only=unread)
    stories = run(api.list_stories(ctx.db, query, limit or None))
    if as_json:
        click.echo(json.dumps(stories_json(stories), indent=2, ensure_ascii=False))
        return
    for story in stories:
        click.echo(_story_line(story))


def _mark(ctx: Context, story_id: int, **change: bool) -> None:
    story = run(api.mark(ctx.db, story_id, now=now(), **change))
    click.echo(_story_line(story))


@main.command()
@click.argument("story_id", type=int, metavar="ID")
@click.option("--undo", is_flag=True, help="Take it out of Saved.")
@click.pass_obj
def save(ctx: Context, story_id: int, undo: bool) -> None:
    """Put story ID in the Saved queue."""
    _mark(ctx, story_id, saved=not undo)


@main.command()
@click.argument("story_id", type=int, metavar="ID")
@click.option("--undo", is_flag=True, help="Take it out of Lunch.")
@click.pass_obj
def lunch(ctx: Context, story_id: int, undo: bool) -> None:
    """Put story ID in the Lunch queue."""
    _mark(ctx, story_id, lunch=not undo)


@main.command()
@click.argument("story_id", type=int, metavar="ID")
@click.option("--unread", is_flag=True, help="Mark it unread instead.")
@click.pass_obj
def read(ctx: Context, story_id: int, unread: bool) -> None:
    """Mark story ID read."""
    _mark(ctx, story_id, read=not unread)


@main.command()
@click.argument("queue", type=click.Choice(["saved", "lunch"]))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.pass_obj
def export(ctx: Context, queue: str, output: Path | None, fmt: str) -> None:
    """Export a queue as Markdown or JSON."""
    text = run(api.export_queue(ctx.db, queue, fmt, now=now()))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        click.echo(f"devfeed: error: cannot write {output}: {error}", err=True)
        sys.exit(ExitCode.PARTIAL_FAILURE)
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help='One JSON document: {"sources": [...]}.')
@click.pass_obj
def sources(ctx: Context, as_json: bool) -> None:
    """List the follows and how polling them went."""
    config = _config(ctx)
    found = run(api.sources(config, ctx.db))
    if as_json:
        click.echo(
            json.dumps({"sources": [s.to_json() for s in found]}, indent=2, ensure_ascii=False)
        )
        return
    for source in found:
        status = source.status.value if source.status else "never polled"
        error = f": {source.error}" if source.error else ""
        label = clean_line(source.follow.label, max_length=50)
        click.echo(f"{source.follow.platform:<14} {label:<50} {source.entries:>6} {status}{error}")


@main.command()
@click.pass_obj
def tui(ctx: Context) -> None:
    """Open the reader (the default command)."""
    config = _config(ctx)
    run(_open_reader(config, ctx.db, clock=None))


async def _open_reader(config: Config, db: Path, clock: Any) -> None:
    from devfeed.opener import open_url
    from devfeed.store import Store
    from devfeed.tui.app import DevfeedApp

    async with await Store.open(db) as store:
        app = DevfeedApp(
            store=store,
            config=config,
            now=clock or now,
            open_url=lambda url: open_url(url, config.settings.browser),
        )
        await app.run_async()


@main.command()
@click.option(
    "--list", "list_only", is_flag=True, help="Print the demo feed instead of opening the reader."
)
@click.pass_obj
def demo(ctx: Context, list_only: bool) -> None:
    """The whole app on bundled sample data, offline.

    The samples go through the real poller into a real database (a temporary one unless
    --db is given), then the reader opens on it.
    """
    import tempfile

    from devfeed.demo import demo_config, demo_now, demo_transport

    config = demo_config()
    with tempfile.TemporaryDirectory(prefix="devfeed-demo-") as tmp:
        db = ctx.db_arg or Path(tmp) / "demo.db"
        run(api.poll(config, db, transport=demo_transport(), now=demo_now))
        if list_only:
            for story in run(api.list_stories(db, FeedQuery(), None)):
                click.echo(_story_line(story))
            return
        run(_open_reader(config, db, clock=demo_now))


_TARGET_HELP = """
TARGET is what you would paste: a feed URL, a profile or tag page (YouTube, Mastodon,
Reddit, GitHub, dev.to, Lobsters, Stack Overflow, Bluesky, PeerTube, Hacker News,
Instagram), @handle (YouTube), @user@instance (Mastodon), r/NAME, or #TAG with
--platform (and --instance for Mastodon and PeerTube). Quote '#TAG' in the shell.
"""


def _platform_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option(
        "--instance", help="Instance of a federated platform (fosstodon.org, a base URL)."
    )(command)
    return click.option(
        "--platform", help="The platform TARGET is on, when the target does not say."
    )(command)


@main.command(epilog=_TARGET_HELP)
@click.argument("target")
@_platform_options
@click.option("--name", help="A label for the follow.")
@click.option("--interval", help="How often to poll it, like 30m, 2h or 1d.")
@click.option("--tag", "tags", multiple=True, help="A tag for the follow (repeatable).")
@click.pass_obj
def follow(
    ctx: Context,
    target: str,
    platform: str | None,
    instance: str | None,
    name: str | None,
    interval: str | None,
    tags: tuple[str, ...],
) -> None:
    """Follow TARGET: add it to feeds.toml, keeping the file's comments.

    Following something already followed changes nothing and exits 0.
    """
    path = config_path(ctx.config_arg)
    try:
        change = following.follow(
            path,
            target,
            platform=platform,
            instance=instance,
            name=name,
            interval=interval,
            tags=tags,
        )
    except DevfeedError as error:
        fail(error)
    if change.created:
        click.echo(f"created {path} from the starter set (you had no feeds.toml)", err=True)
    if change.note:
        click.echo(f"note: {change.note}", err=True)
    label = clean_line(change.follow.label)
    key = clean_line(change.follow.key)
    if not change.changed:
        click.echo(f"already following {label} [{key}]; {path} is unchanged", err=True)
        return
    click.echo(f"following {label} ({change.follow.platform}) [{key}] in {path}", err=True)


@main.command(epilog=_TARGET_HELP)
@click.argument("target", metavar="TARGET|KEY")
@_platform_options
@click.pass_obj
def unfollow(ctx: Context, target: str, platform: str | None, instance: str | None) -> None:
    """Stop following: remove one follow from feeds.toml, keeping the file's comments.

    Give what you followed, the follow's key (`devfeed sources --json`) or its name.
    """
    path = config_path(ctx.config_arg)
    try:
        change = following.unfollow(path, target, platform=platform, instance=instance)
    except DevfeedError as error:
        fail(error)
    if change.created:
        click.echo(f"created {path} from the starter set (you had no feeds.toml)", err=True)
    label = clean_line(change.follow.label)
    click.echo(f"unfollowed {label} [{clean_line(change.follow.key)}] in {path}", err=True)


@main.command(name="import-opml")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Show what would be imported; change nothing.")
@click.pass_obj
def import_opml(ctx: Context, file: BinaryIO, dry_run: bool) -> None:
    """Follow the feeds of an OPML file (- reads stdin).

    Folders and categories become tags; only http(s) feeds are imported; feeds already
    followed are skipped; every skipped outline is listed with the reason.
    """
    path = config_path(ctx.config_arg)
    data = file.read(MAX_OPML_BYTES + 1)
    try:
        result = following.import_opml(path, data, dry_run=dry_run)
    except DevfeedError as error:
        fail(error)
    if result.created:
        click.echo(f"created {path} from the starter set (you had no feeds.toml)", err=True)
    verb = "would add" if dry_run else "added"
    for new in result.found.follows:
        label = clean_line(new.label, max_length=80)
        click.echo(f"{verb:<10} {label} ({new.platform})", err=True)
    for skipped in result.found.skipped:
        click.echo(f"skipped    {skipped.outline}: {skipped.reason}", err=True)
    count = len(result.found.follows)
    where = f"into {path}" if result.written else "(nothing written)"
    click.echo(f"{verb} {count} follows {where}, skipped {len(result.found.skipped)}", err=True)


@main.command(name="export-opml")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.pass_obj
def export_opml(ctx: Context, output: Path | None) -> None:
    """Write every follow as OPML 2.0 (tags become folders and categories)."""
    text = following.export_follows(_config(ctx), now=now())
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        click.echo(f"devfeed: error: cannot write {output}: {error}", err=True)
        sys.exit(ExitCode.PARTIAL_FAILURE)
    click.echo(f"wrote {output}", err=True)
