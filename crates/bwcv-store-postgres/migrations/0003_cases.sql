-- Cases (bwcv-cases clarification requests, visits, investigations), the
-- yearly transparency-visit draws, in-app notifications and the parameter
-- sets cases were computed with.
--
-- The store does not interpret the JSON bodies (bwcv-cases does, in the
-- server); they are TEXT kept exactly as written. Append-only:
-- case_entries, parameter_sets, and draws (the announcement never
-- changes; the result columns are set once, from NULL). The cases row is
-- a summary kept current with every entry; only its state, updated_at,
-- n_records and next deadline change, and n_records always counts the
-- entries. Notifications change only by their read mark (once).

CREATE TABLE cases (
    case_id             TEXT        PRIMARY KEY,
    kind                TEXT        NOT NULL,
    state               TEXT        NOT NULL,
    classification      TEXT        NOT NULL CHECK (classification IN ('unclassified',
                            'restricted', 'protected', 'highly_protected')),
    requesting          TEXT,
    inspected           TEXT,
    title               TEXT        NOT NULL,
    opened_by           BIGINT      NOT NULL REFERENCES users (id),
    opened_at           TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    n_records           BIGINT      NOT NULL CHECK (n_records >= 0),
    next_deadline       TIMESTAMPTZ,
    next_deadline_label TEXT,
    CHECK (next_deadline IS NOT NULL OR next_deadline_label IS NULL)
);
CREATE INDEX cases_opened ON cases (opened_at DESC, case_id);
CREATE INDEX cases_requesting ON cases (requesting) WHERE requesting IS NOT NULL;
CREATE INDEX cases_inspected ON cases (inspected) WHERE inspected IS NOT NULL;
CREATE INDEX cases_deadline ON cases (next_deadline) WHERE next_deadline IS NOT NULL;

CREATE TABLE case_entries (
    case_id      TEXT        NOT NULL REFERENCES cases (case_id),
    sequence     BIGINT      NOT NULL CHECK (sequence >= 0),
    kind         TEXT        NOT NULL CHECK (kind IN ('event', 'vote', 'report', 'comment')),
    at           TIMESTAMPTZ NOT NULL,
    actor        BIGINT      NOT NULL REFERENCES users (id),
    body_json    TEXT        NOT NULL,
    body_sha256  TEXT        NOT NULL CHECK (length(body_sha256) = 64),
    ledger_index BIGINT      NOT NULL UNIQUE REFERENCES ledger_entries (idx),
    PRIMARY KEY (case_id, sequence)
);

-- Dense sequences: a new entry takes the case's next number (writers hold
-- the case row's lock, see the backend).
CREATE FUNCTION bwcv_case_entries_dense() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF NEW.sequence <> (SELECT COALESCE(MAX(sequence) + 1, 0) FROM case_entries
                        WHERE case_id = NEW.case_id) THEN
        RAISE EXCEPTION 'case_entries: sequences must be dense (next sequence expected, got %)',
            NEW.sequence USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER case_entries_dense BEFORE INSERT ON case_entries
    FOR EACH ROW EXECUTE FUNCTION bwcv_case_entries_dense();
CREATE TRIGGER case_entries_append_only BEFORE UPDATE OR DELETE ON case_entries
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER case_entries_no_truncate BEFORE TRUNCATE ON case_entries
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();

-- The summary row follows its entries: identity columns never change and
-- n_records is always the number of entries; a case is never deleted.
CREATE FUNCTION bwcv_cases_summary_only() RETURNS trigger LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'cases: a case cannot be deleted' USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.case_id IS DISTINCT FROM OLD.case_id OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.classification IS DISTINCT FROM OLD.classification
        OR NEW.requesting IS DISTINCT FROM OLD.requesting
        OR NEW.inspected IS DISTINCT FROM OLD.inspected
        OR NEW.title IS DISTINCT FROM OLD.title OR NEW.opened_by IS DISTINCT FROM OLD.opened_by
        OR NEW.opened_at IS DISTINCT FROM OLD.opened_at
        OR NEW.n_records <> (SELECT COUNT(*) FROM case_entries WHERE case_id = OLD.case_id) THEN
        RAISE EXCEPTION 'cases: only the summary changes, and n_records counts the entries'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER cases_summary_only BEFORE UPDATE OR DELETE ON cases
    FOR EACH ROW EXECUTE FUNCTION bwcv_cases_summary_only();
CREATE TRIGGER cases_no_truncate BEFORE TRUNCATE ON cases
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();

CREATE TABLE draws (
    draw_id                   TEXT        PRIMARY KEY,
    year                      INTEGER     NOT NULL,
    announcement_json         TEXT        NOT NULL,
    announcement_sha256       TEXT        NOT NULL CHECK (length(announcement_sha256) = 64),
    announced_at              TIMESTAMPTZ NOT NULL,
    announced_by              BIGINT      NOT NULL REFERENCES users (id),
    announcement_ledger_index BIGINT      NOT NULL UNIQUE REFERENCES ledger_entries (idx),
    result_json               TEXT,
    result_sha256             TEXT        CHECK (length(result_sha256) = 64),
    run_at                    TIMESTAMPTZ,
    run_by                    BIGINT      REFERENCES users (id),
    result_ledger_index       BIGINT      UNIQUE REFERENCES ledger_entries (idx),
    CHECK ((result_json IS NULL AND result_sha256 IS NULL AND run_at IS NULL
            AND run_by IS NULL AND result_ledger_index IS NULL)
        OR (result_json IS NOT NULL AND result_sha256 IS NOT NULL AND run_at IS NOT NULL
            AND run_by IS NOT NULL AND result_ledger_index IS NOT NULL))
);
CREATE INDEX draws_year ON draws (year DESC, draw_id);

-- The announcement is published before the randomness exists: it never
-- changes. The result is set once. A draw is never deleted.
CREATE FUNCTION bwcv_draws_result_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'draws is append-only: DELETE refused'
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.result_json IS NOT NULL
        OR NEW.draw_id IS DISTINCT FROM OLD.draw_id OR NEW.year IS DISTINCT FROM OLD.year
        OR NEW.announcement_json IS DISTINCT FROM OLD.announcement_json
        OR NEW.announcement_sha256 IS DISTINCT FROM OLD.announcement_sha256
        OR NEW.announced_at IS DISTINCT FROM OLD.announced_at
        OR NEW.announced_by IS DISTINCT FROM OLD.announced_by
        OR NEW.announcement_ledger_index IS DISTINCT FROM OLD.announcement_ledger_index THEN
        RAISE EXCEPTION 'draws: the announcement never changes and the result is set once'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER draws_result_once BEFORE UPDATE OR DELETE ON draws
    FOR EACH ROW EXECUTE FUNCTION bwcv_draws_result_once();
CREATE TRIGGER draws_no_truncate BEFORE TRUNCATE ON draws
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();

CREATE TABLE notifications (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id BIGINT      NOT NULL REFERENCES users (id),
    at      TIMESTAMPTZ NOT NULL,
    case_id TEXT,
    text    TEXT        NOT NULL,
    link    TEXT        NOT NULL,
    read_at TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, id) WHERE read_at IS NULL;

CREATE FUNCTION bwcv_notifications_read_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.read_at IS NOT NULL OR NEW.read_at IS NULL
        OR NEW.id IS DISTINCT FROM OLD.id OR NEW.user_id IS DISTINCT FROM OLD.user_id
        OR NEW.at IS DISTINCT FROM OLD.at OR NEW.case_id IS DISTINCT FROM OLD.case_id
        OR NEW.text IS DISTINCT FROM OLD.text OR NEW.link IS DISTINCT FROM OLD.link THEN
        RAISE EXCEPTION 'notifications: only the read mark is set, once'
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER notifications_read_once BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION bwcv_notifications_read_once();

CREATE TABLE parameter_sets (
    digest  TEXT PRIMARY KEY CHECK (length(digest) = 64),
    version TEXT NOT NULL,
    text    TEXT NOT NULL
);
CREATE TRIGGER parameter_sets_append_only BEFORE UPDATE OR DELETE ON parameter_sets
    FOR EACH ROW EXECUTE FUNCTION bwcv_refuse_change();
CREATE TRIGGER parameter_sets_no_truncate BEFORE TRUNCATE ON parameter_sets
    FOR EACH STATEMENT EXECUTE FUNCTION bwcv_refuse_change();
