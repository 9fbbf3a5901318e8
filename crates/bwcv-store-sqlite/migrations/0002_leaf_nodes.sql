-- The node cache also keeps level 0 (the leaf hashes), so that a proof
-- reads one compact table instead of the entries' wide rows.
-- SQLite cannot change a CHECK in place: rebuild the table (DROP TABLE
-- also drops its triggers; they are recreated below).

CREATE TABLE ledger_nodes_v2 (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 63),
    idx   INTEGER NOT NULL CHECK (idx >= 0),
    hash  BLOB    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
) STRICT, WITHOUT ROWID;

INSERT INTO ledger_nodes_v2 (level, idx, hash) SELECT level, idx, hash FROM ledger_nodes;
INSERT INTO ledger_nodes_v2 (level, idx, hash) SELECT 0, idx, leaf_hash FROM ledger_entries;
DROP TABLE ledger_nodes;
ALTER TABLE ledger_nodes_v2 RENAME TO ledger_nodes;

CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger_nodes is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
BEGIN SELECT RAISE(ABORT, 'ledger_nodes is append-only: DELETE refused'); END;
