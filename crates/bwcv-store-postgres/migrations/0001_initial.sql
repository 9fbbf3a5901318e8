-- bwcv PostgreSQL schema, version 1.
--
-- Times are TIMESTAMPTZ (microseconds), hashes 32-byte BYTEA, JSON kept
-- as TEXT exactly as written (JSONB would reorder keys and refuses the
-- escaped NUL that JSON allows). Append-only tables (ledger, audit log,
-- grants and their revocations) refuse UPDATE, DELETE and TRUNCATE with
-- triggers.

CREATE FUNCTION bwcv_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT        NOT NULL UNIQUE,
    display_name  TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('national_authority', 'secretariat_analyst',
                      'inspector', 'laboratory', 'council_member', 'administrator')),
    state_party   TEXT,
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ,
    CHECK (role <> 'national_authority' OR state_party IS NOT NULL)
);

CREATE TABLE sessions (
    id_hash    TEXT        PRIMARY KEY,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    csrf_token TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE api_tokens (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash TEXT        NOT NULL UNIQUE,
    user_id    BIGINT      NOT NULL REFERENCES users (id),
    name       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_attempts (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key     TEXT        NOT NULL,
    at      TIMESTAMPTZ NOT NULL,
    success BOOLEAN     NOT NULL
);
CREATE INDEX login_attempts_key_at ON login_attempts (key, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- The evidence ledger: RFC 6962 leaves (leaf_hash = SHA-256(0x00 || body)).
CREATE TABLE ledger_entries (
    idx         BIGINT      PRIMARY KEY CHECK (idx >= 0),
    kind        TEXT        NOT NULL,
    body        BYTEA       NOT NULL,
    leaf_hash   BYTEA       NOT NULL CHECK (length(leaf_hash) = 32),
    sample_id   TEXT,
    appended_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX ledger_entries_sample ON ledger_entries (sample_id, idx) WHERE sample_id IS NOT NULL;

-- The node cache: hashes of complete perfect subtrees of level >= 1
-- (level 0 is ledger_entries.leaf_hash).
CREATE TABLE ledger_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 63),
    idx   BIGINT  NOT NULL CHECK (idx >= 0),
    hash  BYTEA   NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE ledger_checkpoints (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    size       BIGINT      NOT NULL CHECK (size >= 0),
    root       BYTEA       NOT NULL CHECK (length(root) = 32),
    note       TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
-- One row per (size, note); md5 keeps the index entry small for long notes.
CREATE UNIQUE INDEX ledger_checkpoints_note ON ledger_checkpoints (size, md5(note));
CREATE INDEX ledger_checkpoints_size ON ledger_checkpoints (size, seq);

-- Dense indices: a new entry must take the next index. Appenders hold a
-- lock on ledger_entries (see the backend), so the check sees every row.
CREATE FUNCTION bwcv_ledger_dense() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NEW.idx <> (SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entries) THEN
        RAISE EXCEPTION 'ledger_entries: indices must be dense (next index expected, got %)', NEW.idx
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_entries_dense BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION bwcv_ledger_dense();

CREATE TABLE declarations (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    state_party     TEXT        NOT NULL,
    reporting_year  INTEGER     NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('draft', 'submitted', 'acknowledged')),
    visibility      TEXT        NOT NULL CHECK (visibility IN ('public', 'states_parties_only')),
    classification  TEXT        NOT NULL CHECK (classification IN ('unclassified', 'restricted',
                        'protected', 'highly_protected')),
    body            TEXT        NOT NULL,
    digest          TEXT        NOT NULL,
    version         BIGINT      NOT NULL CHECK (version >= 1),
    created_by      BIGINT      NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    submitted_by    BIGINT REFERENCES users (id),
    submitted_at    TIMESTAMPTZ,
    ledger_index    BIGINT REFERENCES ledger_entries (idx),
    acknowledged_by BIGINT REFERENCES users (id),
    acknowledged_at TIMESTAMPTZ,
    CHECK (status = 'draft' OR (submitted_at IS NOT NULL AND ledger_index IS NOT NULL)),
    CHECK (status <> 'acknowledged' OR acknowledged_at IS NOT NULL)
);
CREATE INDEX declarations_party_year ON declarations (state_party, reporting_year);
CREATE INDEX declarations_year_status ON declarations (reporting_year, status);

-- A submitted declaration is evidence: its content is frozen and it stays.
CREATE FUNCTION bwcv_declarations_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'declarations: a submitted declaration cannot be deleted'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        NEW.body IS DISTINCT FROM OLD.body OR NEW.digest IS DISTINCT FROM OLD.digest
        OR NEW.state_party IS DISTINCT FROM OLD.state_party
        OR NEW.reporting_year IS DISTINCT FROM OLD.reporting_year
        OR NEW.visibility IS DISTINCT FROM OLD.visibility
        OR NEW.classification IS DISTINCT FROM OLD.classification
        OR NEW.version IS DISTINCT FROM OLD.version
        OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
        OR NEW.submitted_by IS DISTINCT FROM OLD.submitted_by
        OR NEW.ledger_index IS DISTINCT FROM OLD.ledger_index
        OR NEW.status = 'draft'
        OR (OLD.status = 'acknowledged' AND (NEW.acknowledged_at IS DISTINCT FROM OLD.acknowledged_at
            OR NEW.acknowledged_by IS DISTINCT FROM OLD.acknowledged_by))) THEN
        RAISE EXCEPTION 'declarations: a submitted declaration cannot change'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER declarations_frozen BEFORE UPDATE OR DELETE ON declarations
    FOR EACH ROW EXECUTE FUNCTION bwcv_declarations_frozen();
CREATE TRIGGER declarations_no_truncate BEFORE TRUNCATE ON declarations
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();

CREATE TABLE audit_log (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at             TIMESTAMPTZ NOT NULL,
    actor          BIGINT REFERENCES users (id),
    actor_role     TEXT,
    action         TEXT        NOT NULL,
    object_kind    TEXT        NOT NULL,
    object_id      TEXT,
    classification TEXT        NOT NULL,
    justification  TEXT        NOT NULL,
    outcome        TEXT        NOT NULL CHECK (outcome IN ('success', 'denied', 'failed')),
    detail         TEXT        NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor);

CREATE TABLE grants (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        BIGINT      NOT NULL REFERENCES users (id),
    target_type    TEXT        NOT NULL CHECK (target_type IN ('object', 'scope')),
    object_kind    TEXT,
    object_id      TEXT,
    scope          TEXT,
    classification TEXT        NOT NULL,
    reason         TEXT        NOT NULL,
    granted_by     BIGINT      NOT NULL REFERENCES users (id),
    granted_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    CHECK ((target_type = 'object' AND object_kind IS NOT NULL AND object_id IS NOT NULL AND scope IS NULL)
        OR (target_type = 'scope' AND scope IS NOT NULL AND object_kind IS NULL AND object_id IS NULL)),
    CHECK (expires_at > granted_at)
);
CREATE INDEX grants_user ON grants (user_id);

-- A revocation is a new fact, never an edit of the grant.
CREATE TABLE grant_revocations (
    grant_id   BIGINT      PRIMARY KEY REFERENCES grants (id),
    revoked_by BIGINT      NOT NULL REFERENCES users (id),
    revoked_at TIMESTAMPTZ NOT NULL,
    reason     TEXT        NOT NULL
);

CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER ledger_nodes_append_only BEFORE UPDATE OR DELETE ON ledger_nodes
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER ledger_nodes_no_truncate BEFORE TRUNCATE ON ledger_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER ledger_checkpoints_append_only BEFORE UPDATE OR DELETE ON ledger_checkpoints
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER ledger_checkpoints_no_truncate BEFORE TRUNCATE ON ledger_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER grants_append_only BEFORE UPDATE OR DELETE ON grants
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER grants_no_truncate BEFORE TRUNCATE ON grants
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER grant_revocations_append_only BEFORE UPDATE OR DELETE ON grant_revocations
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER grant_revocations_no_truncate BEFORE TRUNCATE ON grant_revocations
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();
