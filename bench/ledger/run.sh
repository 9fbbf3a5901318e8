#!/usr/bin/env bash
# bench/ledger: in-memory Merkle log of bwcv-ledger at N entries (default
# 10^6): appends per second, inclusion and consistency proof generation and
# verification, against the anchor of a naive recompute-from-leaves RFC 6962
# implementation on the same data (the ratio is printed last).
#
# Database append rates (SQLite, PostgreSQL) are measured by the storage
# backends' own bench, not here.
#
# Usage: bench/ledger/run.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
n_entries="${1:-1000000}"
echo "# bench/ledger $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(nproc) cores, N=${n_entries}"
cargo run --quiet --release -p bwcv-ledger --example ledger_bench -- "${n_entries}"
