-- bwcv SQLite schema, version 1.
--
-- Times are TEXT in one fixed-width UTC format, 'YYYY-MM-DDTHH:MM:SS.ffffffZ',
-- so that text order is time order. Hashes are 32-byte BLOBs. JSON is TEXT.
-- Append-only tables (ledger, audit log, grants and their revocations)
-- refuse UPDATE and DELETE with triggers.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    display_name  TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('national_authority', 'secretariat_analyst',
                      'inspector', 'laboratory', 'council_member', 'administrator')),
    state_party   TEXT,
    password_hash TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    disabled_at   TEXT,
    CHECK (role <> 'national_authority' OR state_party IS NOT NULL)
) STRICT;

CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    csrf_token TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT    NOT NULL
) STRICT;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT    NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    name       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY,
    key     TEXT    NOT NULL,
    at      TEXT    NOT NULL,
    success INTEGER NOT NULL CHECK (success IN (0, 1))
) STRICT;
CREATE INDEX login_attempts_key_at ON login_attempts (key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- The evidence ledger: RFC 6962 leaves (leaf_hash = SHA-256(0x00 || body)).
CREATE TABLE ledger_entries (
    idx         INTEGER PRIMARY KEY CHECK (idx >= 0),
    kind        TEXT    NOT NULL,
    body        BLOB    NOT NULL,
    leaf_hash   BLOB    NOT NULL CHECK (length(leaf_hash) = 32),
    sample_id   TEXT,
    appended_at TEXT    NOT NULL
) STRICT;
CREATE INDEX ledger_entries_sample ON ledger_entries (sample_id, idx) WHERE sample_id IS NOT NULL;

-- The node cache: hashes of complete perfect subtrees of level >= 1
-- (level 0 is ledger_entries.leaf_hash).
CREATE TABLE ledger_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_checkpoints (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    size       INTEGER NOT NULL CHECK (size >= 0),
    root       BLOB    NOT NULL CHECK (length(root) = 32),
    note       TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    UNIQUE (size, note)
) STRICT;
CREATE INDEX ledger_checkpoints_size ON ledger_checkpoints (size, seq);

-- Dense indices: a new entry must take the next index.
CREATE TRIGGER ledger_entries_dense BEFORE INSERT ON ledger_entries
WHEN NEW.idx <> (SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries)
BEGIN SELECT RAISE(ABORT, 'ledger_entries: indices must be dense (next index expected)'); END;

CREATE TABLE declarations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    state_party     TEXT    NOT NULL,
    reporting_year  INTEGER NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('draft', 'submitted', 'acknowledged')),
    visibility      TEXT    NOT NULL CHECK (visibility IN ('public', 'states_parties_only')),
    classification  TEXT    NOT NULL CHECK (classification IN ('unclassified', 'restricted',
                        'protected', 'highly_protected')),
    body            TEXT    NOT NULL,
    digest          TEXT    NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    created_by      INTEGER NOT NULL REFERENCES users (id),
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    submitted_by    INTEGER REFERENCES users (id),
    submitted_at    TEXT,
    ledger_index    INTEGER REFERENCES ledger_entries (idx),
    acknowledged_by INTEGER REFERENCES users (id),
    acknowledged_at TEXT,
    CHECK (status = 'draft' OR (submitted_at IS NOT NULL AND ledger_index IS NOT NULL)),
    CHECK (status <> 'acknowledged' OR acknowledged_at IS NOT NULL)
) STRICT;
CREATE INDEX declarations_party_year ON declarations (state_party, reporting_year);
CREATE INDEX declarations_year_status ON declarations (reporting_year, status);

-- A submitted declaration is evidence: its content is frozen and it stays.
CREATE TRIGGER declarations_frozen BEFORE UPDATE ON declarations
WHEN OLD.status <> 'draft' AND (
    NEW.body IS NOT OLD.body OR NEW.digest IS NOT OLD.digest
    OR NEW.state_party IS NOT OLD.state_party OR NEW.reporting_year IS NOT OLD.reporting_year
    OR NEW.visibility IS NOT OLD.visibility OR NEW.classification IS NOT OLD.classification
    OR NEW.version IS NOT OLD.version OR NEW.submitted_at IS NOT OLD.submitted_at
    OR NEW.submitted_by IS NOT OLD.submitted_by OR NEW.ledger_index IS NOT OLD.ledger_index
    OR NEW.status = 'draft'
    OR (OLD.status = 'acknowledged' AND (NEW.acknowledged_at IS NOT OLD.acknowledged_at
        OR NEW.acknowledged_by IS NOT OLD.acknowledged_by)))
BEGIN SELECT RAISE(ABORT, 'declarations: a submitted declaration cannot change'); END;
CREATE TRIGGER declarations_keep_submitted BEFORE DELETE ON declarations
WHEN OLD.status <> 'draft'
BEGIN SELECT RAISE(ABORT, 'declarations: a submitted declaration cannot be deleted'); END;

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    at             TEXT    NOT NULL,
    actor          INTEGER REFERENCES users (id),
    actor_role     TEXT,
    action         TEXT    NOT NULL,
    object_kind    TEXT    NOT NULL,
    object_id      TEXT,
    classification TEXT    NOT NULL,
    justification  TEXT    NOT NULL,
    outcome        TEXT    NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    detail         TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor);

CREATE TABLE grants (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id        INTEGER NOT NULL REFERENCES users (id),
    target_type    TEXT    NOT NULL CHECK (target_type IN ('object', 'scope')),
    object_kind    TEXT,
    object_id      TEXT,
    scope          TEXT,
    classification TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    granted_by     INTEGER NOT NULL REFERENCES users (id),
    granted_at     TEXT    NOT NULL,
    expires_at     TEXT    NOT NULL,
    CHECK ((target_type = 'object' AND object_kind IS NOT NULL AND object_id IS NOT NULL AND scope IS NULL)
        OR (target_type = 'scope' AND scope IS NOT NULL AND object_kind IS NULL AND object_id IS NULL)),
    CHECK (expires_at > granted_at)
) STRICT;
CREATE INDEX grants_user ON grants (user_id);

-- A revocation is a new fact, never an edit of the grant.
CREATE TABLE grant_revocations (
    grant_id   INTEGER PRIMARY KEY REFERENCES grants (id),
    revoked_by INTEGER NOT NULL REFERENCES users (id),
    revoked_at TEXT    NOT NULL,
    reason     TEXT    NOT NULL
) STRICT;

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: DELETE refused'); END;
CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger_nodes is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger_nodes is append-only: DELETE refused'); END;
CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger_checkpoints is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
BEGIN SELECT RAISE(ABORT, 'ledger_checkpoints is append-only: DELETE refused'); END;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
CREATE TRIGGER grants_no_update BEFORE UPDATE ON grants
BEGIN SELECT RAISE(ABORT, 'grants is append-only: UPDATE refused'); END;
CREATE TRIGGER grants_no_delete BEFORE DELETE ON grants
BEGIN SELECT RAISE(ABORT, 'grants is append-only: DELETE refused'); END;
CREATE TRIGGER grant_revocations_no_update BEFORE UPDATE ON grant_revocations
BEGIN SELECT RAISE(ABORT, 'grant_revocations is append-only: UPDATE refused'); END;
CREATE TRIGGER grant_revocations_no_delete BEFORE DELETE ON grant_revocations
BEGIN SELECT RAISE(ABORT, 'grant_revocations is append-only: DELETE refused'); END;
