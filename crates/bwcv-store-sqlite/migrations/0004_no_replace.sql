-- SQLite's INSERT OR REPLACE deletes the row in the way without firing its
-- DELETE trigger (unless recursive_triggers is on), so the append-only
-- tables of 0001/0002 could have a row silently rewritten by any
-- connection, the sqlite3 shell included. These triggers refuse an insert
-- whose key is already taken. The store's own inserts never reuse a key
-- (ids are AUTOINCREMENT, ledger nodes are written once), so they are not
-- affected. ledger_entries is already covered by ledger_entries_dense.
-- grant_revocations and ledger_checkpoints are left to the unique
-- constraint (the store maps it to Conflict, and checkpoints use
-- ON CONFLICT DO NOTHING); the store also opens every connection with
-- recursive_triggers = ON, so REPLACE fires their DELETE triggers.

CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: an id is never reused'); END;

CREATE TRIGGER ledger_nodes_no_replace BEFORE INSERT ON ledger_nodes
WHEN EXISTS (SELECT 1 FROM ledger_nodes WHERE level = NEW.level AND idx = NEW.idx)
BEGIN SELECT RAISE(ABORT, 'ledger_nodes is append-only: a node is written once'); END;

CREATE TRIGGER grants_no_replace BEFORE INSERT ON grants
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM grants WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'grants is append-only: an id is never reused'); END;

CREATE TRIGGER declarations_no_replace BEFORE INSERT ON declarations
WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM declarations WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'declarations: an id is never reused'); END;
