#!/usr/bin/env bash
# Ledger storage benchmark: appends per second (batched and single-entry)
# and proof reads at N entries, on SQLite and PostgreSQL, through the
# bwcv-store backends; each against an anchor that inserts rows of the same
# shape and size with the database's own CLI (sqlite3, psql) in the same
# number of transactions, without hashing, node cache or triggers: the
# ratio is what the evidence guarantees cost over a bare insert.
#
# usage: bench/ledger-store/run.sh [N_ENTRIES] [BATCH]     (default 1000000 1000)
#
# PostgreSQL: uses $BWCV_BENCH_POSTGRES_URL (a server where a database
# "bwcv_ledger_bench" may be created and dropped) if set; otherwise starts
# a throwaway server (as CI does) on port 55434 and stops it at the end.
#
# The examples are built in the dev profile: the workspace optimises every
# dependency (sqlx, SQLite, sha2) at opt-level 2 and bwcv-ledger at 3 in
# that profile, so only the thin store glue is unoptimised; this avoids a
# second full release build on a 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
BATCH=${2:-1000}
SINGLE=${SINGLE:-2000}
PROOFS=${PROOFS:-1000}
ENTRY_BYTES=450
WORK=$(mktemp -d /tmp/bwcv-ledger-store-bench.XXXXXX)
chmod 755 "$WORK"
PG_STARTED=""
cleanup() {
  if [ -n "$PG_STARTED" ]; then
    su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg/data -m fast stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in sqlite3 psql; do
  if ! command -v "$tool" >/dev/null; then
    echo "== installing $tool (anchor)" >&2
    apt-get install -y -qq --no-install-recommends sqlite3 postgresql-client >/dev/null
  fi
done

echo "== building the benchmark examples" >&2
cargo build -q -p bwcv-store-sqlite --example sqlite_ledger_bench
cargo build -q -p bwcv-store-postgres --example postgres_ledger_bench
TARGET=${CARGO_TARGET_DIR:-target}
ARGS=(--entries "$N" --batch "$BATCH" --single "$SINGLE" --proofs "$PROOFS" --entry-bytes "$ENTRY_BYTES")
N_BATCHES=$(( (N + BATCH - 1) / BATCH ))

now() { date +%s.%N; }
rate() { awk -v n="$1" -v t0="$2" -v t1="$3" 'BEGIN { printf "%.0f", n / (t1 - t0) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
value() { awk -F'\t' -v m="$2" '$2 == m { print $3 }' "$1"; }

# ------------------------------------------------------------------ SQLite
echo "== SQLite: bwcv-store-sqlite, $N entries in batches of $BATCH" >&2
"$TARGET/debug/examples/sqlite_ledger_bench" "$WORK/bwcv.db" "${ARGS[@]}" > "$WORK/sqlite.tsv"

echo "== SQLite anchor: sqlite3 CLI, same rows, same transactions" >&2
{
  echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
  echo "CREATE TABLE raw (idx INTEGER PRIMARY KEY, kind TEXT NOT NULL, body BLOB NOT NULL,"
  echo "  leaf_hash BLOB NOT NULL, sample_id TEXT, appended_at TEXT NOT NULL);"
  for ((k = 0; k < N_BATCHES; k++)); do
    lo=$((k * BATCH)); hi=$(( (k + 1) * BATCH < N ? (k + 1) * BATCH - 1 : N - 1 ))
    echo "BEGIN; WITH RECURSIVE c(i) AS (SELECT $lo UNION ALL SELECT i + 1 FROM c WHERE i < $hi)"
    echo "INSERT INTO raw SELECT i, 'bench', randomblob($ENTRY_BYTES), randomblob(32), 'S-' || (i % 100000),"
    echo "  strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM c; COMMIT;"
  done
} > "$WORK/anchor-sqlite.sql"
t0=$(now); sqlite3 "$WORK/anchor.db" < "$WORK/anchor-sqlite.sql" >/dev/null; t1=$(now)
SQLITE_ANCHOR=$(rate "$N" "$t0" "$t1")

# -------------------------------------------------------------- PostgreSQL
if [ -n "${BWCV_BENCH_POSTGRES_URL:-}" ]; then
  PG_URL=$BWCV_BENCH_POSTGRES_URL
else
  echo "== starting a throwaway PostgreSQL server on port 55434" >&2
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$PG_BIN" ] || { apt-get install -y -qq --no-install-recommends postgresql >/dev/null; PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1); }
  mkdir "$WORK/pg"; chown postgres:postgres "$WORK/pg"
  su postgres -c "$PG_BIN/initdb -D $WORK/pg/data -A trust -U postgres" >/dev/null
  su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg/data -o '-p 55434 -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on' -l $WORK/pg/log -w start" >/dev/null
  PG_STARTED=1
  PG_URL=postgres://postgres@127.0.0.1:55434/postgres
fi
ADMIN_URL=$PG_URL
BENCH_URL="${PG_URL%/*}/bwcv_ledger_bench"
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS bwcv_ledger_bench" -c "CREATE DATABASE bwcv_ledger_bench" >/dev/null

echo "== PostgreSQL: bwcv-store-postgres, $N entries in batches of $BATCH" >&2
"$TARGET/debug/examples/postgres_ledger_bench" "$BENCH_URL" "${ARGS[@]}" > "$WORK/postgres.tsv"

echo "== PostgreSQL anchor: psql, same rows, same transactions" >&2
{
  echo "CREATE TABLE raw (idx BIGINT PRIMARY KEY, kind TEXT NOT NULL, body BYTEA NOT NULL,"
  echo "  leaf_hash BYTEA NOT NULL, sample_id TEXT, appended_at TIMESTAMPTZ NOT NULL);"
  for ((k = 0; k < N_BATCHES; k++)); do
    lo=$((k * BATCH)); hi=$(( (k + 1) * BATCH < N ? (k + 1) * BATCH - 1 : N - 1 ))
    echo "INSERT INTO raw SELECT g, 'bench', substring(decode(repeat(md5(g::text), 29), 'hex') for $ENTRY_BYTES),"
    echo "  decode(md5(g::text) || md5((g + 1)::text), 'hex'), 'S-' || (g % 100000), now()"
    echo "  FROM generate_series($lo, $hi) g;"
  done
} > "$WORK/anchor-postgres.sql"
psql -q "$BENCH_URL" -c "DROP TABLE IF EXISTS raw" >/dev/null
t0=$(now); psql -q -v ON_ERROR_STOP=1 "$BENCH_URL" -f "$WORK/anchor-postgres.sql" >/dev/null; t1=$(now)
PG_ANCHOR=$(rate "$N" "$t0" "$t1")
psql -q "$ADMIN_URL" -c "DROP DATABASE bwcv_ledger_bench" >/dev/null

# ------------------------------------------------------------------ report
cat "$WORK/sqlite.tsv" "$WORK/postgres.tsv"
SQLITE_RATE=$(value "$WORK/sqlite.tsv" "append_batched_$BATCH")
PG_RATE=$(value "$WORK/postgres.tsv" "append_batched_$BATCH")
printf 'sqlite\tanchor_sqlite3_cli_batched_%s\t%s\trows/s\tn=%s\n' "$BATCH" "$SQLITE_ANCHOR" "$N"
printf 'sqlite\tratio_bwcv_over_anchor\t%s\t\tn=%s\n' "$(ratio "$SQLITE_RATE" "$SQLITE_ANCHOR")" "$N"
printf 'postgres\tanchor_psql_batched_%s\t%s\trows/s\tn=%s\n' "$BATCH" "$PG_ANCHOR" "$N"
printf 'postgres\tratio_bwcv_over_anchor\t%s\t\tn=%s\n' "$(ratio "$PG_RATE" "$PG_ANCHOR")" "$N"
