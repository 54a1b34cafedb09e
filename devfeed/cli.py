"""The command line: parses arguments, calls one core function, prints.

Data goes to stdout, diagnostics to stderr. Exit codes (a contract): 0 success,
1 partial failure (some sources failed), 2 bad usage or bad config.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, NoReturn, TypeVar

import click

from devfeed import __version__, api, following
from devfeed import lunch as lunch_planner
from devfeed.collector import fewer_collections
from devfeed.config import Config, config_path, db_path, load_config
from devfeed.durations import format_duration
from devfeed.errors import DevfeedError, ExitCode, UsageError, exit_code_for
from devfeed.export import stories_json, story_json
from devfeed.models import Story
from devfeed.opml import MAX_OPML_BYTES
from devfeed.refresh import InProcessPoller, PollRunner, SubprocessPoller
from devfeed.reports import SourceReport
from devfeed.sanitize import clean_line
from devfeed.store import FeedQuery, Order, View
from devfeed.words import plural

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
    note = f" (warning: {report.warning})" if report.warning else ""
    if report.label == "new":
        return f"new {report.new_entries:>6}  {where}{note}"
    return f"unchanged   {where}{note}"


def _setup_logging(level: int, log_file: Path | None) -> None:
    """devfeed's log (the core's `logging` calls) to stderr or a file."""
    try:
        handler: logging.Handler = (
            logging.FileHandler(log_file, encoding="utf-8")
            if log_file
            else logging.StreamHandler(sys.stderr)
        )
    except OSError as error:
        click.echo(f"devfeed: error: cannot write the log {log_file}: {error}", err=True)
        sys.exit(ExitCode.USAGE)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
    )
    logger = logging.getLogger("devfeed")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False


@contextmanager
def _progress(
    enabled: bool,
) -> Iterator[tuple[Callable[[int], None], Callable[[SourceReport], None]]]:
    """On a terminal: a progress bar (sources done/total, new stories) with the new and
    failed sources above it. Elsewhere: one line per source (the stderr contract)."""
    if not enabled:

        def line(item: SourceReport) -> None:
            click.echo(_report_line(item), err=True)

        yield (lambda total: None), line
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.text import Text

    progress = Progress(
        TextColumn("polling"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("sources"),
        TextColumn("{task.fields[new]} new stories"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("poll", total=None, new=0)
    new = 0

    def start(total: int) -> None:
        progress.update(task, total=total)

    def advance(item: SourceReport) -> None:
        nonlocal new
        new += item.new_stories
        if item.label != "unchanged" or item.warning:
            progress.console.print(Text(_report_line(item)), markup=False, highlight=False)
        progress.update(task, advance=1, new=new)

    with progress:
        yield start, advance


@main.command()
@click.option(
    "--once", "mode", flag_value="once", default=True, help="Poll once and exit (default)."
)
@click.option(
    "--daemon", "mode", flag_value="daemon", help="Poll forever, each follow on its interval."
)
@click.option("--due", is_flag=True, help="With --once: poll only the follows that are due.")
@click.option(
    "--source",
    "sources_",
    multiple=True,
    metavar="KEY",
    help="With --once: poll only this follow (its key or name; repeat for more), even "
    "when it is paused.",
)
@click.option(
    "--log",
    "log_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the log to FILE instead of stderr.",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Log every request (method, URL, status, time)."
)
@click.pass_obj
def poll(
    ctx: Context,
    mode: str,
    due: bool,
    sources_: tuple[str, ...],
    log_file: Path | None,
    verbose: bool,
) -> None:
    """Poll the follows, print one line per source on stderr, exit 1 if any failed.

    With --daemon: poll until SIGTERM or SIGINT, each follow on its schedule; SIGHUP (or
    an edited feeds.toml) reloads the follows. Logs one line per cycle and per failing
    source. Only one process polls a database at a time; another exits 2.
    """
    config = _config(ctx)
    if mode == "daemon" and (sources_ or due):
        # the daemon polls every follow on its own schedule: these would be ignored
        fail(UsageError("--source and --due go with --once, not with --daemon"))
    try:
        chosen = api.find_follows(config, sources_) if sources_ else None
    except DevfeedError as error:
        fail(error)
    if mode == "daemon":
        _setup_logging(logging.DEBUG if verbose else logging.INFO, log_file)
        # not `fewer_collections`: in a process that lives for days, cyclic garbage kept
        # for 10M allocations grew the daemon from 73 to 119 MB in a 4-minute soak
        run(api.run_daemon(config, ctx.db, load_config=ctx.config))
        return
    _setup_logging(logging.DEBUG if verbose else logging.WARNING, log_file)
    with (
        _progress(sys.stderr.isatty() and not verbose) as (start, report),
        fewer_collections(freeze=True),
    ):
        reports = run(
            api.poll(config, ctx.db, only_due=due, follows=chosen, on_report=report, on_start=start)
        )
    failed = sum(1 for r in reports if r.label == "failed")
    new = sum(r.new_stories for r in reports)
    click.echo(
        f"polled {len(reports)} {plural(len(reports), 'source')}: "
        f"{new} {plural(new, 'new story', 'new stories')}, "
        f"{failed} failed",
        err=True,
    )
    sys.exit(ExitCode.PARTIAL_FAILURE if failed else ExitCode.OK)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.pass_obj
def status(ctx: Context, as_json: bool) -> None:
    """Whether a daemon polls, the last cycle, the next poll and the unhealthy sources."""
    config = _config(ctx)
    found = run(api.status(config, ctx.db, now=now()))
    if as_json:
        click.echo(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
        return
    holder = found.daemon
    if holder is None:
        click.echo("poller      not running")
    else:
        what = "daemon" if holder.mode == "daemon" else f"poll --{holder.mode}"
        click.echo(f"poller      {what} running (pid {holder.pid}, since {holder.since})")
    cycle = found.last_cycle
    if cycle is None:
        click.echo("last cycle  never")
    else:
        click.echo(
            f"last cycle  {_when(cycle.finished_at)} ({cycle.mode}): {cycle.sources} sources, "
            f"{cycle.new_stories} new stories, {cycle.failed} failed, {cycle.deferred} deferred"
        )
    if found.next_source is not None:
        follow = found.next_source.follow
        label = clean_line(follow.label, max_length=60)
        due_now = found.next_due_at is not None and found.next_due_at <= now()
        when = "now" if due_now else _when(found.next_due_at)
        click.echo(f"next poll   {when}: {label} ({follow.platform})")
    unhealthy = found.unhealthy
    click.echo(f"sources     {len(found.sources)}, {len(unhealthy)} unhealthy")
    for source in unhealthy:
        label = clean_line(source.follow.label, max_length=50)
        click.echo(
            f"  {source.follow.platform:<14} {label:<50} {source.failures} failures, "
            f"retry {_when(source.next_due_at)}: {source.error}"
        )


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
@click.option("--done", is_flag=True, help="With --queue lunch: the videos marked watched instead.")
@click.option("--unread", is_flag=True, help="Only unread stories.")
@click.option(
    "--sort",
    type=click.Choice([order.value for order in Order]),
    default=Order.NEWEST.value,
    show_default=True,
    help="The feed newest first, or seen in the most places first.",
)
@click.option("--json", "as_json", is_flag=True, help='One JSON document: {"stories": [...]}.')
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="At most this many stories, newest first (0: all).",
)
@click.pass_obj
def list_(
    ctx: Context,
    queue: str | None,
    done: bool,
    unread: bool,
    sort: str,
    as_json: bool,
    limit: int,
) -> None:
    """List stories, newest first (a queue: most recently queued first)."""
    if done and queue != "lunch":
        fail(UsageError("--done goes with --queue lunch"))
    view = View.LUNCH_DONE if done else View(queue) if queue else View.FEED
    query = FeedQuery(view=view, unread_only=unread, order=Order(sort))
    stories = run(api.list_stories(ctx.db, query, limit or None))
    if as_json:
        click.echo(json.dumps(stories_json(stories), indent=2, ensure_ascii=False))
        return
    for story in stories:
        click.echo(_story_line(story))


def _mark(ctx: Context, story_id: int, **change: bool) -> None:
    story = run(api.mark(ctx.db, story_id, now=now(), **change))
    click.echo(_story_line(story))


def _added(added: api.Added) -> None:
    click.echo(_story_line(added.story))
    if added.warning:
        click.echo(f"devfeed: warning: {added.warning}", err=True)


@main.command()
@click.argument("target", metavar="ID|URL")
@click.option("--note", help='Your note on it (replaces the note; "" removes it).')
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="Add a tag (repeatable).")
@click.option("--untag", multiple=True, metavar="TAG", help="Remove a tag (repeatable).")
@click.option("--undo", is_flag=True, help="Take it out of Saved (its note and tags stay).")
@click.pass_obj
def save(
    ctx: Context,
    target: str,
    note: str | None,
    tags: tuple[str, ...],
    untag: tuple[str, ...],
    undo: bool,
) -> None:
    """Put a story in the Saved queue: story ID, or any http(s) URL.

    A URL devfeed does not know yet is fetched for its title, author and length and
    filed as a story (merged with the story of the same canonical URL). When it cannot
    be fetched it is saved with its URL as the title, and a warning says so.
    """
    added = run(
        api.save(
            ctx.db,
            target,
            now=now(),
            config=lambda: _config(ctx),
            note=note,
            tags=tags,
            untag=untag,
            undo=undo,
        )
    )
    _added(added)


class DefaultGroup(click.Group):
    """A group whose first argument, when it names no subcommand, goes to the default one
    (`devfeed lunch 17` is `devfeed lunch add 17`)."""

    default_command = "add"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


@main.group(cls=DefaultGroup)
def lunch() -> None:
    """The Lunch queue: `devfeed lunch ID|URL` queues a video; plan, play, done.

    \b
    devfeed lunch ID|URL [--undo]       queue a story, or any video URL (fetched)
    devfeed lunch done ID [--undo]      mark it watched: it leaves the queue
    devfeed lunch plan [--minutes N]    what best fills the break
    devfeed lunch play [--minutes N]    play the plan in [settings] player
    """


@lunch.command(name="add")
@click.argument("target", metavar="ID|URL")
@click.option("--undo", is_flag=True, help="Take it out of Lunch.")
@click.pass_obj
def lunch_add(ctx: Context, target: str, undo: bool) -> None:
    """Queue a story for Lunch: story ID, or any http(s) URL (fetched for its length).

    A video whose length is unknown (YouTube feeds never give it) is fetched for it too.
    """
    added = run(api.queue_lunch(ctx.db, target, now=now(), config=lambda: _config(ctx), undo=undo))
    _added(added)


@lunch.command(name="done")
@click.argument("story_id", type=int, metavar="ID")
@click.option("--undo", is_flag=True, help="Put it back in the queue.")
@click.pass_obj
def lunch_done(ctx: Context, story_id: int, undo: bool) -> None:
    """Mark a Lunch video watched: it leaves the queue (see `list --queue lunch --done`)."""
    click.echo(_story_line(run(api.lunch_done(ctx.db, story_id, now=now(), done=not undo))))


def _plan_json(plan: lunch_planner.Plan) -> dict[str, Any]:
    return {
        "minutes": plan.budget_s // 60,
        "total_s": plan.total_s,
        "spare_s": plan.spare_s,
        "videos": [story_json(s) for s in plan.videos],
        "left_out": [story_json(s) for s in plan.left_out],
        "unknown_length": [story_json(s) for s in plan.unknown],
    }


def _plan_lines(plan: lunch_planner.Plan) -> list[str]:
    minutes = plan.budget_s // 60
    if not plan.videos:
        lines = [f"nothing in the Lunch queue fits {minutes} minutes"]
    else:
        lines = [
            f"{format_duration(plan.total_s)} of {minutes} minutes "
            f"({len(plan.videos)} {plural(len(plan.videos), 'video')}, "
            f"{format_duration(plan.spare_s)} spare)"
        ]
        lines += [
            f"{s.id:>7} {format_duration(s.duration_s or 0):>8}  {clean_line(s.title)}"
            for s in plan.videos
        ]
    if plan.left_out:
        lines.append(f"left out: {len(plan.left_out)} (they do not fit with the others)")
    if plan.unknown:
        ids = ", ".join(str(s.id) for s in plan.unknown)
        lines.append(f"length unknown, not planned: {ids}")
    return lines


@lunch.command(name="plan")
@click.option(
    "--minutes",
    type=click.IntRange(1, 24 * 60),
    help="The break (default [settings] lunch_minutes).",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON document.")
@click.pass_obj
def lunch_plan(ctx: Context, minutes: int | None, as_json: bool) -> None:
    """The queued videos that best fill the break: most minutes, never over; ties go to
    the oldest queued."""
    plan = run(api.lunch_plan(ctx.db, config=lambda: _config(ctx), minutes=minutes))
    if as_json:
        click.echo(json.dumps(_plan_json(plan), indent=2, ensure_ascii=False))
        return
    for line in _plan_lines(plan):
        click.echo(line)


@lunch.command(name="play")
@click.option(
    "--minutes",
    type=click.IntRange(1, 24 * 60),
    help="The break (default [settings] lunch_minutes).",
)
@click.option("--keep", is_flag=True, help="Do not mark the videos watched afterwards.")
@click.pass_obj
def lunch_play(ctx: Context, minutes: int | None, keep: bool) -> None:
    """Play the plan in [settings] player (default mpv) as one playlist.

    When the player exits with status 0 the plan's videos are marked watched (mpv exits
    0 also when you quit early with q: use --keep, or `lunch done ID --undo`). Exits 1
    when the player failed.
    """
    played = run(api.lunch_play(_config(ctx), ctx.db, now=now(), minutes=minutes, keep=keep))
    for line in _plan_lines(played.plan):
        click.echo(line, err=True)
    if played.exit_code != 0:
        click.echo(f"devfeed: the player exited with {played.exit_code}; nothing marked", err=True)
        sys.exit(ExitCode.PARTIAL_FAILURE)
    if played.marked_done:
        click.echo(f"marked {len(played.marked_done)} watched", err=True)


@main.command()
@click.argument("story_id", type=int, metavar="ID")
@click.option("--unread", is_flag=True, help="Mark it unread instead.")
@click.pass_obj
def read(ctx: Context, story_id: int, unread: bool) -> None:
    """Mark story ID read."""
    _mark(ctx, story_id, read=not unread)


@main.command()
@click.argument("story_id", type=int, metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of text.")
@click.pass_obj
def why(ctx: Context, story_id: int, as_json: bool) -> None:
    """Say why the entries of story ID are one story."""
    explanation = run(api.why(ctx.db, story_id))
    if as_json:
        click.echo(json.dumps(explanation.to_json(), indent=2, ensure_ascii=False))
        return
    click.echo(_story_line(explanation.story))
    for entry in explanation.entries:
        author = clean_line(entry.author or "-", max_length=40)
        where = clean_line(entry.url or entry.native_id, max_length=200)
        click.echo(f"  #{entry.entry_id} {entry.platform:<12} {author}  {where}")
        for reason in explanation.reasons(entry):
            click.echo(f"      why: {clean_line(reason, max_length=300)}")
        for follow, boosted_by in entry.follows:
            boost = f", boosted by {clean_line(boosted_by, max_length=80)}" if boosted_by else ""
            click.echo(f"      seen by {clean_line(follow, max_length=80)}{boost}")
        if len(entry.follows) > 1:
            click.echo(f"      one entry for {len(entry.follows)} follows (same native id)")


@main.command()
@click.argument("queue", type=click.Choice(["saved", "lunch"]))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["md", "json"]),
    default=None,
    help="md or json (default: json for an -o name ending in .json, else md).",
)
@click.option(
    "--group-by",
    type=click.Choice(["day", "tag", "platform"]),
    default="day",
    show_default=True,
    help="Markdown sections: the day queued, your tags, or the platform first seen on.",
)
@click.option(
    "--dir",
    "vault",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write one Markdown note per item into this folder (a vault) instead.",
)
@click.pass_obj
def export(
    ctx: Context,
    queue: str,
    output: Path | None,
    fmt: str | None,
    group_by: str,
    vault: Path | None,
) -> None:
    """Export a queue as Markdown or JSON, or as a folder of notes (--dir)."""
    if vault is not None:
        if output is not None:
            fail(UsageError("--dir and -o do not go together"))
        if fmt is not None:
            fail(UsageError("--dir writes Markdown notes: --format does not go with it"))
        report = run(api.export_vault(ctx.db, queue, vault))
        for path, why in report.skipped:
            click.echo(f"devfeed: skipped {path}: {why}", err=True)
        click.echo(
            f"{vault}: {len(report.created)} new, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged, {len(report.skipped)} skipped",
            err=True,
        )
        sys.exit(ExitCode.PARTIAL_FAILURE if report.skipped else ExitCode.OK)
    if fmt is None:
        fmt = "json" if output is not None and output.suffix.lower() == ".json" else "md"
    text = run(api.export_queue(ctx.db, queue, fmt, now=now(), group_by=group_by))
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(UsageError(f"cannot write {output}: {error.strerror or error}"))
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
        if source.paused_at is not None:
            status = f"paused ({status})"
        elif source.unhealthy:
            status = f"unhealthy ({status})"
        error = f": {source.error}" if source.error else ""
        if source.warning and not source.error:
            error = f" (warning: {source.warning})"
        label = clean_line(source.follow.label, max_length=50)
        click.echo(f"{source.follow.platform:<14} {label:<50} {source.entries:>6} {status}{error}")
        if source.moved_to:
            click.echo(f"{'':<14} moved permanently to {clean_line(source.moved_to)}")


@main.command()
@click.pass_obj
def tui(ctx: Context) -> None:
    """Open the reader (the default command)."""
    config = _config(ctx)
    run(_open_reader(config, ctx.db, clock=None))


async def _open_reader(
    config: Config, db: Path, clock: Any, poll: PollRunner | None = None
) -> None:
    from devfeed.opener import open_url, play

    with fewer_collections():  # the reader's imports: ~45 ms of collections otherwise
        from devfeed.store import Store
        from devfeed.tui.app import DevfeedApp

    async with await Store.open(db) as store:
        app = DevfeedApp(
            store=store,
            config=config,
            now=clock or now,
            open_url=lambda url: open_url(url, config.settings.browser),
            play=lambda urls: play(urls, config.settings.player),
            poll=poll or SubprocessPoller(config, db),
            user_config_path=config_path(None),
        )
        # What is loaded by now (modules, classes, the config, the app) lives as long as
        # the reader. Frozen out of the collector's sight, a full collection while the user
        # scrolls walks only what came later: 8–9 ms instead of 30–55 at 1M stories.
        gc.freeze()
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
        poller = InProcessPoller(config, db, transport=demo_transport(), now=demo_now)
        run(_open_reader(config, db, clock=demo_now, poll=poller))


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
        fail(UsageError(f"cannot write {output}: {error.strerror or error}"))
    click.echo(f"wrote {output}", err=True)
