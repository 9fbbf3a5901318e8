-- The node cache also keeps level 0 (the leaf hashes), so that a proof
-- reads one compact table instead of the entries' wide rows.

ALTER TABLE ledger_nodes DROP CONSTRAINT ledger_nodes_level_check;
ALTER TABLE ledger_nodes ADD CONSTRAINT ledger_nodes_level_check CHECK (level BETWEEN 0 AND 63);
INSERT INTO ledger_nodes (level, idx, hash) SELECT 0, idx, leaf_hash FROM ledger_entries;
