"""The database schema as numbered migrations on `PRAGMA user_version`.

Migration N brings a database from version N-1 to N. Never edit a released migration:
add the next one. `APPLICATION_ID` marks the file as devfeed's.
"""

from __future__ import annotations

APPLICATION_ID = 0x64766664  # "dvfd"

_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def fold_tag(tag: str) -> str:
    """A tag as its facet spells it (`tag:` + this): SQLite's `lower()`, which folds ASCII
    letters only, as the facets' view (`story_facet_sources`) does. Every place that
    builds or looks up a tag facet folds with this; `str.lower` would also fold "Ü", and
    a tag filter would then miss the stories it names."""
    return tag.lower() if tag.isascii() else tag.translate(_ASCII_LOWER)


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
    # 5: dedup across platforms. Every canonical URL key names the first entry that had it
    # (its story is that entry's story, so merging stories never rewrites keys); the
    # near-duplicate index maps MinHash bands and title hashes to entries; each entry
    # records why it joined its story; `places` counts a story's entries (posts, videos,
    # submissions) for the "seen in most places" order, keyed with `published` in one
    # indexed expression (published < 2^34) so keyset pages stay one index range. No
    # foreign keys on the two indexes: a cascading delete would scan them, and a row naming
    # a gone entry matches nothing in a join.
    """
    CREATE TABLE story_keys (
        key TEXT PRIMARY KEY,
        entry_id INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE near_index (
        band INTEGER NOT NULL,
        entry_id INTEGER NOT NULL,
        published INTEGER NOT NULL,
        PRIMARY KEY (band, entry_id)
    ) WITHOUT ROWID;
    ALTER TABLE entries ADD COLUMN join_reason TEXT;
    INSERT OR IGNORE INTO story_keys (key, entry_id)
        SELECT 'https://' || substr(s.story_key, 5), min(e.id)
        FROM stories s JOIN entries e ON e.story_id = s.id
        WHERE s.story_key LIKE 'url:%'
        GROUP BY s.id;
    UPDATE entries SET join_reason = '[{"rule": "legacy"}]';
    ALTER TABLE stories ADD COLUMN places INTEGER NOT NULL DEFAULT 1;
    UPDATE stories SET places = (SELECT count(*) FROM entries WHERE story_id = stories.id);
    CREATE INDEX stories_popular ON stories (places * 17179869184 + published DESC, id DESC);
    """,
    # 6: one row per poll cycle (daemon or --once), for `devfeed status`
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
    # 7: facets for filtered keyset pages, the Saved order, paused follows.
    # A facet is one thing a story can be filtered on ('kind:video', 'platform:youtube',
    # 'tag:python', 'follow:<follow key>') with the story's sort value, so a filtered page
    # is a range scan of one facet's rows, newest first. Triggers keep facets derived from
    # stories, entries and sightings, whatever code writes those.
    """
    CREATE TABLE story_facets (
        facet TEXT NOT NULL,
        published INTEGER NOT NULL,
        story_id INTEGER NOT NULL,
        PRIMARY KEY (facet, published, story_id)
    ) WITHOUT ROWID;
    CREATE INDEX story_facets_story ON story_facets (story_id, facet);
    CREATE VIEW story_facet_sources (facet, published, story_id) AS
        SELECT 'kind:' || s.kind, s.published, s.id FROM stories s
        UNION ALL
        SELECT 'platform:' || e.platform, s.published, s.id
        FROM entries e JOIN stories s ON s.id = e.story_id
        UNION ALL
        SELECT 'tag:' || lower(j.value), s.published, s.id
        FROM entries e JOIN stories s ON s.id = e.story_id,
             json_each(CASE WHEN json_valid(e.tags) THEN e.tags ELSE '[]' END) j
        WHERE j.type = 'text'
        UNION ALL
        SELECT 'follow:' || f.key, s.published, s.id
        FROM sightings g JOIN entries e ON e.id = g.entry_id
        JOIN stories s ON s.id = e.story_id JOIN follows f ON f.id = g.follow_id;
    INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources;
    CREATE TRIGGER stories_facets_insert AFTER INSERT ON stories BEGIN
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        VALUES ('kind:' || new.kind, new.published, new.id);
    END;
    CREATE TRIGGER stories_facets_update AFTER UPDATE OF kind, published ON stories BEGIN
        DELETE FROM story_facets WHERE story_id = new.id;
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources WHERE story_id = new.id;
    END;
    CREATE TRIGGER stories_facets_delete AFTER DELETE ON stories BEGIN
        DELETE FROM story_facets WHERE story_id = old.id;
    END;
    CREATE TRIGGER entries_facets_insert AFTER INSERT ON entries BEGIN
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT 'platform:' || new.platform, s.published, s.id FROM stories s
        WHERE s.id = new.story_id
        UNION ALL
        SELECT 'tag:' || lower(j.value), s.published, s.id
        FROM stories s, json_each(CASE WHEN json_valid(new.tags) THEN new.tags ELSE '[]' END) j
        WHERE s.id = new.story_id AND j.type = 'text';
    END;
    CREATE TRIGGER entries_facets_update AFTER UPDATE OF story_id, platform, tags ON entries
    BEGIN
        DELETE FROM story_facets WHERE story_id IN (old.story_id, new.story_id);
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources
        WHERE story_id IN (old.story_id, new.story_id);
    END;
    CREATE TRIGGER entries_facets_delete AFTER DELETE ON entries BEGIN
        DELETE FROM story_facets WHERE story_id = old.story_id;
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources
        WHERE story_id = old.story_id;
    END;
    CREATE TRIGGER sightings_facets_insert AFTER INSERT ON sightings BEGIN
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT 'follow:' || f.key, s.published, s.id
        FROM entries e JOIN stories s ON s.id = e.story_id, follows f
        WHERE e.id = new.entry_id AND f.id = new.follow_id;
    END;
    CREATE TRIGGER sightings_facets_delete AFTER DELETE ON sightings BEGIN
        DELETE FROM story_facets
        WHERE story_id = (SELECT story_id FROM entries WHERE id = old.entry_id);
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources
        WHERE story_id = (SELECT story_id FROM entries WHERE id = old.entry_id);
    END;
    CREATE TRIGGER follows_facets_delete AFTER DELETE ON follows BEGIN
        DELETE FROM story_facets WHERE facet = 'follow:' || old.key;
    END;
    ALTER TABLE stories ADD COLUMN saved_rank INTEGER;
    UPDATE stories SET saved_rank = saved_at WHERE saved_at IS NOT NULL;
    DROP INDEX stories_saved;
    CREATE INDEX stories_saved ON stories (saved_rank DESC, id DESC) WHERE saved_at IS NOT NULL;
    ALTER TABLE follows ADD COLUMN paused_at INTEGER;
    """,
    # 8: the user's own tags (`devfeed save --tag`) are tag facets too, so `tag:db` and the
    # reader's tag filter find them
    """
    DROP VIEW story_facet_sources;
    CREATE VIEW story_facet_sources (facet, published, story_id) AS
        SELECT 'kind:' || s.kind, s.published, s.id FROM stories s
        UNION ALL
        SELECT 'platform:' || e.platform, s.published, s.id
        FROM entries e JOIN stories s ON s.id = e.story_id
        UNION ALL
        SELECT 'tag:' || lower(j.value), s.published, s.id
        FROM entries e JOIN stories s ON s.id = e.story_id,
             json_each(CASE WHEN json_valid(e.tags) THEN e.tags ELSE '[]' END) j
        WHERE j.type = 'text'
        UNION ALL
        SELECT 'tag:' || lower(j.value), s.published, s.id
        FROM stories s,
             json_each(CASE WHEN json_valid(s.saved_tags) THEN s.saved_tags ELSE '[]' END) j
        WHERE j.type = 'text'
        UNION ALL
        SELECT 'follow:' || f.key, s.published, s.id
        FROM sightings g JOIN entries e ON e.id = g.entry_id
        JOIN stories s ON s.id = e.story_id JOIN follows f ON f.id = g.follow_id;
    INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT 'tag:' || lower(j.value), s.published, s.id
        FROM stories s,
             json_each(CASE WHEN json_valid(s.saved_tags) THEN s.saved_tags ELSE '[]' END) j
        WHERE j.type = 'text';
    CREATE TRIGGER stories_facets_saved_tags AFTER UPDATE OF saved_tags ON stories BEGIN
        DELETE FROM story_facets WHERE story_id = new.id;
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources WHERE story_id = new.id;
    END;
    """,
    # 9: near-duplicate candidates by person. One row per entry and author key holding the
    # entry's index keys, clustered by author key and time bucket (`published` // the
    # 3-day window): a new entry reads a few short ranges of its author's rows
    # (`person_probes`) instead of eight index rows shared by every author, and writes one
    # or two rows where that person's recent rows already are. The rows are
    # filled from the entries by `devfeed.store.ingest.fill_near_people` in the same
    # transaction (fingerprints are Python), which drops `near_index` when done.
    # New stories enter the full-text index, and new stories, entries and sightings their
    # facets, in one statement per batch written by the code that inserts them
    # (`ingest.index_stories`, `ingest.add_entry_facets`, `ingest.add_follow_facets`), not
    # by triggers per row: FTS5 in a trigger costs four times as much per row, and the
    # facet triggers a quarter of ingest.
    # Updates and deletes keep their triggers.
    """
    DROP TRIGGER stories_fts_insert;
    DROP TRIGGER stories_facets_insert;
    DROP TRIGGER entries_facets_insert;
    DROP TRIGGER sightings_facets_insert;
    CREATE TABLE near_people (
        person TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        entry_id INTEGER NOT NULL,
        published INTEGER NOT NULL,
        account INTEGER NOT NULL,
        keys BLOB NOT NULL,
        PRIMARY KEY (person, bucket, entry_id)
    ) WITHOUT ROWID;
    """,
    # 10: `near_people` clustered by time bucket first, then author key. New entries are
    # recent: their rows now go into the few pages of the newest buckets, where keyed by
    # person first each went into a page of its own anywhere in the table (1.4 pages
    # written an entry at 1M stories, 36 % of a commit's pages). The lookups name the
    # buckets one by one (`bucket IN (...)`), each a short range per person as before.
    """
    CREATE TABLE near_people_by_bucket (
        person TEXT NOT NULL,
        bucket INTEGER NOT NULL,
        entry_id INTEGER NOT NULL,
        published INTEGER NOT NULL,
        account INTEGER NOT NULL,
        keys BLOB NOT NULL,
        PRIMARY KEY (bucket, person, entry_id)
    ) WITHOUT ROWID;
    INSERT INTO near_people_by_bucket
        SELECT person, bucket, entry_id, published, account, keys FROM near_people
        ORDER BY bucket, person, entry_id;
    DROP TABLE near_people;
    ALTER TABLE near_people_by_bucket RENAME TO near_people;
    """,
    # 11: `stories.story_key` loses its UNIQUE constraint, and with it an index that no
    # query reads: the key names the story's best entry, which is one story's only, and
    # is never looked up. New stories wrote it in random order, a page of its own each at
    # 1M stories (0.42 of 2.3 pages written a new entry). SQLite drops a column constraint
    # only by building the table again: this copies `stories` with its rowids (the
    # full-text index points at them), then makes its indexes and triggers again as
    # migrations 1, 3, 5, 7 and 8 left them. `REBUILDS` has it run with foreign keys off,
    # or dropping the old table would delete every entry; the rename is the legacy one,
    # which leaves the triggers and views that name `stories` as they are.
    """
    CREATE TABLE stories_rebuilt (
        id INTEGER PRIMARY KEY,
        story_key TEXT NOT NULL,
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
        lunch_done_at INTEGER,
        note TEXT,
        saved_tags TEXT NOT NULL DEFAULT '[]',
        places INTEGER NOT NULL DEFAULT 1,
        saved_rank INTEGER
    );
    INSERT INTO stories_rebuilt (id, story_key, title, url, kind, duration_s, author,
        summary, published, first_seen, read, saved_at, lunch_at, lunch_done_at, note,
        saved_tags, places, saved_rank)
        SELECT id, story_key, title, url, kind, duration_s, author, summary, published,
            first_seen, read, saved_at, lunch_at, lunch_done_at, note, saved_tags, places,
            saved_rank
        FROM stories ORDER BY id;
    DROP TABLE stories;
    PRAGMA legacy_alter_table = ON;
    ALTER TABLE stories_rebuilt RENAME TO stories;
    PRAGMA legacy_alter_table = OFF;
    CREATE INDEX stories_feed ON stories (published DESC, id DESC);
    CREATE INDEX stories_unread ON stories (published DESC, id DESC) WHERE read = 0;
    CREATE INDEX stories_saved ON stories (saved_rank DESC, id DESC) WHERE saved_at IS NOT NULL;
    CREATE INDEX stories_lunch ON stories (lunch_at DESC, id DESC)
        WHERE lunch_at IS NOT NULL AND lunch_done_at IS NULL;
    CREATE INDEX stories_lunch_done ON stories (lunch_done_at DESC, id DESC)
        WHERE lunch_done_at IS NOT NULL;
    CREATE INDEX stories_popular ON stories (places * 17179869184 + published DESC, id DESC);
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
    CREATE TRIGGER stories_facets_update AFTER UPDATE OF kind, published ON stories BEGIN
        DELETE FROM story_facets WHERE story_id = new.id;
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources WHERE story_id = new.id;
    END;
    CREATE TRIGGER stories_facets_delete AFTER DELETE ON stories BEGIN
        DELETE FROM story_facets WHERE story_id = old.id;
    END;
    CREATE TRIGGER stories_facets_saved_tags AFTER UPDATE OF saved_tags ON stories BEGIN
        DELETE FROM story_facets WHERE story_id = new.id;
        INSERT OR IGNORE INTO story_facets (facet, published, story_id)
        SELECT facet, published, story_id FROM story_facet_sources WHERE story_id = new.id;
    END;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

REBUILDS = frozenset({11})
"""Migrations that build a table again: they run with foreign keys off (a pragma that
does nothing inside a transaction), so that dropping the old table deletes no row that
names it. Each keeps every row and id, which its test checks with
`PRAGMA foreign_key_check`."""
