"""The database schema as numbered migrations on `PRAGMA user_version`.

Migration N brings a database from version N-1 to N. Never edit a released migration:
add the next one. `APPLICATION_ID` marks the file as devfeed's.
"""

from __future__ import annotations

APPLICATION_ID = 0x64766664  # "dvfd"

MIGRATIONS: tuple[str, ...] = (
    # 1: follows with their fetch state, stories, entries, sightings, FTS5 over stories
    """
    CREATE TABLE follows (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        platform TEXT NOT NULL,
        label TEXT NOT NULL,
        etag TEXT,
        last_modified TEXT,
        body_hash TEXT,
        last_polled_at INTEGER,
        last_ok_at INTEGER,
        status TEXT,
        error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_due_at INTEGER,
        feed_title TEXT
    );
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        story_key TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        url TEXT,
        kind TEXT NOT NULL,
        duration_s INTEGER,
        author TEXT,
        summary TEXT NOT NULL DEFAULT '',
        published INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        read INTEGER NOT NULL DEFAULT 0,
        saved_at INTEGER,
        lunch_at INTEGER,
        lunch_done_at INTEGER
    );
    CREATE INDEX stories_feed ON stories (published DESC, id DESC);
    CREATE INDEX stories_unread ON stories (published DESC, id DESC) WHERE read = 0;
    CREATE INDEX stories_saved ON stories (saved_at DESC, id DESC) WHERE saved_at IS NOT NULL;
    CREATE INDEX stories_lunch ON stories (lunch_at DESC, id DESC)
        WHERE lunch_at IS NOT NULL AND lunch_done_at IS NULL;
    CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        native_id TEXT NOT NULL,
        story_id INTEGER NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
        url TEXT,
        link TEXT,
        title TEXT NOT NULL,
        author TEXT,
        text TEXT NOT NULL DEFAULT '',
        published INTEGER,
        tags TEXT NOT NULL DEFAULT '[]',
        kind TEXT NOT NULL,
        duration_s INTEGER,
        media_url TEXT,
        comments_url TEXT,
        UNIQUE (platform, native_id)
    );
    CREATE INDEX entries_story ON entries (story_id);
    CREATE TABLE sightings (
        entry_id INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
        follow_id INTEGER NOT NULL REFERENCES follows (id) ON DELETE CASCADE,
        seen_at INTEGER NOT NULL,
        PRIMARY KEY (entry_id, follow_id)
    ) WITHOUT ROWID;
    CREATE INDEX sightings_follow ON sightings (follow_id);
    CREATE VIRTUAL TABLE stories_fts USING fts5 (
        title, summary, author, content = 'stories', content_rowid = 'id'
    );
    CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
        INSERT INTO stories_fts (rowid, title, summary, author)
        VALUES (new.id, new.title, new.summary, new.author);
    END;
    CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
        INSERT INTO stories_fts (stories_fts, rowid, title, summary, author)
        VALUES ('delete', old.id, old.title, old.summary, old.author);
    END;
    CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, summary, author ON stories BEGIN
        INSERT INTO stories_fts (stories_fts, rowid, title, summary, author)
        VALUES ('delete', old.id, old.title, old.summary, old.author);
        INSERT INTO stories_fts (rowid, title, summary, author)
        VALUES (new.id, new.title, new.summary, new.author);
    END;
    """,
    # 2: what platforms remember per follow, warnings, entry handles and counts, boosts
    """
    ALTER TABLE follows ADD COLUMN platform_state TEXT NOT NULL DEFAULT '{}';
    ALTER TABLE follows ADD COLUMN warning TEXT;
    ALTER TABLE entries ADD COLUMN author_handle TEXT;
    ALTER TABLE entries ADD COLUMN score INTEGER;
    ALTER TABLE entries ADD COLUMN comments INTEGER;
    ALTER TABLE sightings ADD COLUMN boosted_by TEXT;
    """,
    # 3: the user's note and tags on a story; watched Lunch videos stay findable by date
    """
    ALTER TABLE stories ADD COLUMN note TEXT;
    ALTER TABLE stories ADD COLUMN saved_tags TEXT NOT NULL DEFAULT '[]';
    CREATE INDEX stories_lunch_done ON stories (lunch_done_at DESC, id DESC)
        WHERE lunch_done_at IS NOT NULL;
    """,
    # 4: where a follow's URL permanently redirects to (shown, never written to feeds.toml)
    """
    ALTER TABLE follows ADD COLUMN moved_to TEXT;
    """,
    # 5: one row per poll cycle (daemon or --once), for `devfeed status`
    """
    CREATE TABLE poll_cycles (
        id INTEGER PRIMARY KEY,
        mode TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL,
        sources INTEGER NOT NULL,
        new_stories INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        deferred INTEGER NOT NULL
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
