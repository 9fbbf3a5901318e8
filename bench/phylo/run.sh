#!/usr/bin/env bash
# bwcv phylo clock vs TreeTime 0.12.1 `treetime clock` on the same inputs.
#
# Usage: bench/phylo/run.sh [REPEATS]   (default 3; the median wall time is used)
#        BWCV_BIN=target/debug/bwcv bench/phylo/run.sh   (use an existing binary)
# Needs the shared data (/work/shared/data or $BWCV_SHARED_DATA). Installs
# TreeTime with pip when it is not importable. Prints both results side by
# side and the speed ratio (goal: same numbers, bwcv >= 20x faster).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${BWCV_SHARED_DATA:-$root/../shared/data}/phylo"
repeats="${1:-3}"

if ! python3 -c "import treetime" 2>/dev/null; then
    pip install phylo-treetime
fi
python3 -c "import treetime; print('TreeTime', treetime.version)"

# BWCV_BIN=path skips the build (e.g. a dev binary; bwcv-phylo is built at
# opt-level 3 in the dev profile too).
if [ -n "${BWCV_BIN:-}" ]; then
    bwcv="$BWCV_BIN"
else
    cargo build --release -p bwcv --manifest-path "$root/Cargo.toml"
    bwcv="$root/target/release/bwcv"
fi

exec python3 "$here/compare.py" "$bwcv" "$data" "$repeats"
