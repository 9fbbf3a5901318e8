-- Cases (bwcv-cases clarification requests, visits, investigations), the
-- yearly transparency-visit draws, in-app notifications and the parameter
-- sets cases were computed with.
--
-- The store does not interpret the JSON bodies (bwcv-cases does, in the
-- server). Append-only: case_entries, parameter_sets, and draws (the
-- announcement never changes; the result columns are set once, from
-- NULL). The cases row is a summary kept current with every entry; only
-- its state, updated_at, n_records and next deadline change, and n_records
-- always counts the entries. Notifications change only by their read mark
-- (once).
--
-- SQLite's INSERT OR REPLACE (and UPDATE OR REPLACE) delete the rows in
-- the way without firing DELETE triggers (they fire only with
-- recursive_triggers), so the append-only tables also refuse an insert
-- whose key, or unique ledger index, is already taken: no row can be
-- replaced. The store checks for existing keys itself (Conflict).

CREATE TABLE cases (
    case_id             TEXT    PRIMARY KEY,
    kind                TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    classification      TEXT    NOT NULL CHECK (classification IN ('unclassified', 'restricted',
                            'protected', 'highly_protected')),
    requesting          TEXT,
    inspected           TEXT,
    title               TEXT    NOT NULL,
    opened_by           INTEGER NOT NULL REFERENCES users (id),
    opened_at           TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL,
    n_records           INTEGER NOT NULL CHECK (n_records >= 0),
    next_deadline       TEXT,
    next_deadline_label TEXT,
    CHECK (next_deadline IS NOT NULL OR next_deadline_label IS NULL)
) STRICT;
CREATE INDEX cases_opened ON cases (opened_at DESC, case_id);
CREATE INDEX cases_requesting ON cases (requesting) WHERE requesting IS NOT NULL;
CREATE INDEX cases_inspected ON cases (inspected) WHERE inspected IS NOT NULL;
CREATE INDEX cases_deadline ON cases (next_deadline) WHERE next_deadline IS NOT NULL;

CREATE TABLE case_entries (
    case_id      TEXT    NOT NULL REFERENCES cases (case_id),
    sequence     INTEGER NOT NULL CHECK (sequence >= 0),
    kind         TEXT    NOT NULL CHECK (kind IN ('event', 'vote', 'report', 'comment')),
    at           TEXT    NOT NULL,
    actor        INTEGER NOT NULL REFERENCES users (id),
    body_json    TEXT    NOT NULL,
    body_sha256  TEXT    NOT NULL CHECK (length(body_sha256) = 64),
    ledger_index INTEGER NOT NULL UNIQUE REFERENCES ledger_entries (idx),
    PRIMARY KEY (case_id, sequence)
) STRICT;

-- Dense sequences: a new entry takes the case's next number.
CREATE TRIGGER case_entries_dense BEFORE INSERT ON case_entries
WHEN NEW.sequence <> (SELECT COALESCE(MAX(sequence) + 1, 0) FROM case_entries
                      WHERE case_id = NEW.case_id)
BEGIN SELECT RAISE(ABORT, 'case_entries: sequences must be dense (next sequence expected)'); END;
CREATE TRIGGER case_entries_no_replace BEFORE INSERT ON case_entries
WHEN EXISTS (SELECT 1 FROM case_entries WHERE ledger_index = NEW.ledger_index)
BEGIN SELECT RAISE(ABORT, 'case_entries: a ledger index is kept by one entry'); END;
CREATE TRIGGER case_entries_no_update BEFORE UPDATE ON case_entries
BEGIN SELECT RAISE(ABORT, 'case_entries is append-only: UPDATE refused'); END;
CREATE TRIGGER case_entries_no_delete BEFORE DELETE ON case_entries
BEGIN SELECT RAISE(ABORT, 'case_entries is append-only: DELETE refused'); END;

-- The summary row follows its entries: identity columns never change and
-- n_records is always the number of entries.
CREATE TRIGGER cases_summary_only BEFORE UPDATE ON cases
WHEN NEW.case_id IS NOT OLD.case_id OR NEW.kind IS NOT OLD.kind
    OR NEW.classification IS NOT OLD.classification
    OR NEW.requesting IS NOT OLD.requesting OR NEW.inspected IS NOT OLD.inspected
    OR NEW.title IS NOT OLD.title OR NEW.opened_by IS NOT OLD.opened_by
    OR NEW.opened_at IS NOT OLD.opened_at
    OR NEW.n_records <> (SELECT COUNT(*) FROM case_entries WHERE case_id = OLD.case_id)
BEGIN SELECT RAISE(ABORT, 'cases: only the summary changes, and n_records counts the entries'); END;
CREATE TRIGGER cases_no_replace BEFORE INSERT ON cases
WHEN EXISTS (SELECT 1 FROM cases WHERE case_id = NEW.case_id)
BEGIN SELECT RAISE(ABORT, 'cases: a case id is never reused'); END;
CREATE TRIGGER cases_no_delete BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'cases: a case cannot be deleted'); END;

CREATE TABLE draws (
    draw_id                   TEXT    PRIMARY KEY,
    year                      INTEGER NOT NULL,
    announcement_json         TEXT    NOT NULL,
    announcement_sha256       TEXT    NOT NULL CHECK (length(announcement_sha256) = 64),
    announced_at              TEXT    NOT NULL,
    announced_by              INTEGER NOT NULL REFERENCES users (id),
    announcement_ledger_index INTEGER NOT NULL UNIQUE REFERENCES ledger_entries (idx),
    result_json               TEXT,
    result_sha256             TEXT    CHECK (length(result_sha256) = 64),
    run_at                    TEXT,
    run_by                    INTEGER REFERENCES users (id),
    result_ledger_index       INTEGER UNIQUE REFERENCES ledger_entries (idx),
    CHECK ((result_json IS NULL AND result_sha256 IS NULL AND run_at IS NULL
            AND run_by IS NULL AND result_ledger_index IS NULL)
        OR (result_json IS NOT NULL AND result_sha256 IS NOT NULL AND run_at IS NOT NULL
            AND run_by IS NOT NULL AND result_ledger_index IS NOT NULL))
) STRICT;
CREATE INDEX draws_year ON draws (year DESC, draw_id);

-- The announcement is published before the randomness exists: it never
-- changes. The result is set once.
CREATE TRIGGER draws_result_once BEFORE UPDATE ON draws
WHEN OLD.result_json IS NOT NULL
    OR NEW.draw_id IS NOT OLD.draw_id OR NEW.year IS NOT OLD.year
    OR NEW.announcement_json IS NOT OLD.announcement_json
    OR NEW.announcement_sha256 IS NOT OLD.announcement_sha256
    OR NEW.announced_at IS NOT OLD.announced_at OR NEW.announced_by IS NOT OLD.announced_by
    OR NEW.announcement_ledger_index IS NOT OLD.announcement_ledger_index
    OR EXISTS (SELECT 1 FROM draws WHERE draw_id <> OLD.draw_id
               AND (result_ledger_index = NEW.result_ledger_index
                    OR announcement_ledger_index = NEW.result_ledger_index))
BEGIN SELECT RAISE(ABORT, 'draws: the announcement never changes and the result is set once'); END;
CREATE TRIGGER draws_no_replace BEFORE INSERT ON draws
WHEN EXISTS (SELECT 1 FROM draws WHERE draw_id = NEW.draw_id
             OR announcement_ledger_index = NEW.announcement_ledger_index
             OR result_ledger_index = NEW.announcement_ledger_index)
BEGIN SELECT RAISE(ABORT, 'draws: a draw id or ledger index is never reused'); END;
CREATE TRIGGER draws_no_delete BEFORE DELETE ON draws
BEGIN SELECT RAISE(ABORT, 'draws is append-only: DELETE refused'); END;

CREATE TABLE notifications (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id),
    at      TEXT    NOT NULL,
    case_id TEXT,
    text    TEXT    NOT NULL,
    link    TEXT    NOT NULL,
    read_at TEXT
) STRICT;
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;

CREATE TRIGGER notifications_read_once BEFORE UPDATE ON notifications
WHEN OLD.read_at IS NOT NULL OR NEW.read_at IS NULL
    OR NEW.id IS NOT OLD.id OR NEW.user_id IS NOT OLD.user_id OR NEW.at IS NOT OLD.at
    OR NEW.case_id IS NOT OLD.case_id OR NEW.text IS NOT OLD.text OR NEW.link IS NOT OLD.link
BEGIN SELECT RAISE(ABORT, 'notifications: only the read mark is set, once'); END;

CREATE TABLE parameter_sets (
    digest  TEXT PRIMARY KEY CHECK (length(digest) = 64),
    version TEXT NOT NULL,
    text    TEXT NOT NULL
) STRICT;
CREATE TRIGGER parameter_sets_no_replace BEFORE INSERT ON parameter_sets
WHEN EXISTS (SELECT 1 FROM parameter_sets WHERE digest = NEW.digest)
BEGIN SELECT RAISE(ABORT, 'parameter_sets: a digest is stored once'); END;
CREATE TRIGGER parameter_sets_no_update BEFORE UPDATE ON parameter_sets
BEGIN SELECT RAISE(ABORT, 'parameter_sets is append-only: UPDATE refused'); END;
CREATE TRIGGER parameter_sets_no_delete BEFORE DELETE ON parameter_sets
BEGIN SELECT RAISE(ABORT, 'parameter_sets is append-only: DELETE refused'); END;
