#!/usr/bin/env bash
# bench/portal: load run of `bwcv serve` on loopback with wrk, on SQLite and on
# PostgreSQL. Reports authenticated reads/s, submissions/s and p99 latency, and
# the ratio of each measured number to the goal (2 cores: >= 2,000 reads/s,
# >= 200 submissions/s, p99 < 50 ms, on SQLite).
#
# Usage: bench/portal/run.sh [SECONDS]   (default 20 s per load phase)
# Env:   BWCV_BIN=path/to/bwcv  skip the release build and use this binary
#        BENCH_READ_CONNECTIONS (default 32), BENCH_WRITE_CONNECTIONS (default 16)
#        BENCH_BACKENDS="sqlite postgresql" (default both; "sqlite" while iterating)
#
# Besides wrk's numbers the run prints, per phase, the server's CPU seconds
# (user + system, from /proc/PID/stat) and requests per server CPU-second:
# a figure that does not depend on how busy the 2 cores were with wrk or
# other work, so changes stay comparable on a loaded machine. The load
# average at the start of each phase is printed too.
#
# Read load: authenticated GETs (Bearer token of a national authority),
# alternating GET /api/v1/declarations/{id} (body + validation problems) and
# GET /api/v1/declarations (the list; 5 returns seeded).
# Submission load: POST /api/v1/declarations with `"submit": true`, i.e. the
# server creates the draft and submits it in the same request (validation,
# access decision, audit rows, evidence-ledger append). Each such request is
# one submission. The body is a demo CBM return (`bwcv declare demo-data`).
#
# Only loopback traffic; every phase is bounded in time by wrk's -d (and a
# `timeout` around it); all processes started here are stopped by the trap.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_PHASE="${1:-20}"
READ_CONNECTIONS="${BENCH_READ_CONNECTIONS:-32}"
WRITE_CONNECTIONS="${BENCH_WRITE_CONNECTIONS:-16}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgresql}"
PG_PORT=55440
HTTP_PORT=18090
GOAL_READS=2000
GOAL_SUBMISSIONS=200
GOAL_P99_MS=50

WORK=$(mktemp -d /tmp/bwcv-bench-portal.XXXXXX)
SERVER_PID=""
PG_BIN=""
PG_STARTED=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$PG_STARTED" ]; then
    su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg/data -m fast stop" >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [ -n "${BWCV_BIN:-}" ]; then
  BIN="$BWCV_BIN"
else
  echo "== cargo build --release -p bwcv" >&2
  cargo build --release -p bwcv >&2
  BIN=target/release/bwcv
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v wrk >/dev/null; then
  echo "== installing wrk" >&2
  apt-get install -y -qq wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
fi
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "== installing PostgreSQL" >&2
  apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi

# Request bodies and wrk scripts.
"$BIN" declare demo-data --out "$WORK/demo" >/dev/null 2>&1
python3 - "$WORK" <<'PY'
import json, sys
work = sys.argv[1]
for year in (2021, 2022, 2024, 2025):  # XAR returns without validation errors
    with open(f"{work}/demo/XAR-{year}.json") as f:
        body = json.load(f)
    with open(f"{work}/seed-{year}.json", "w") as f:
        json.dump({"submission": body, "submit": True}, f)
with open(f"{work}/demo/XAR-2021.json") as f:
    body = json.load(f)
with open(f"{work}/submit.json", "w") as f:
    json.dump({"submission": body, "submit": True}, f)
PY
cat >"$WORK/reads.lua" <<'LUA'
local paths = { "/api/v1/declarations/1", "/api/v1/declarations" }
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % 2) + 1])
end
LUA
cat >"$WORK/submit.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$WORK/submit.json", "rb")
wrk.body = f:read("*a")
f:close()
LUA

# wrk output -> "requests_per_s p99_ms non2xx errors"
parse_wrk() {
  awk '
    /Requests\/sec:/ { rps = $2 }
    /^ +99%/ { v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
               if (u == "us") ms = v / 1000; else if (u == "ms") ms = v; else if (u == "s") ms = v * 1000; else if (u == "m") ms = v * 60000; }
    /Non-2xx or 3xx responses:/ { non2xx = $5 }
    /Socket errors:/ { errors = $0 }
    END { printf "%s %.2f %d %s\n", rps, ms, non2xx + 0, (errors == "" ? "none" : "yes") }' "$1"
}

start_server() { # database URL
  "$BIN" serve --listen "127.0.0.1:$HTTP_PORT" --database "$1" >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/api/v1/openapi.json" && return 0
    sleep 0.1
  done
  echo "server did not start:" >&2; cat "$WORK/server.log" >&2; return 1
}
stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

# CPU seconds (user + system) the server process has used so far.
server_cpu_seconds() {
  awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$SERVER_PID/stat"
}
load_average() { cut -d' ' -f1 /proc/loadavg; }

RESULTS="$WORK/results.tsv"
bench_backend() { # name, database URL
  local name="$1" url="$2" token
  echo "== $name: $url" >&2
  echo "bench-password-1234" | "$BIN" admin create-user --username bench-na --role national_authority \
    --state-party XAR --password-stdin --database "$url" >/dev/null
  token=$("$BIN" admin create-token --username bench-na --name bench --days 1 --database "$url")
  start_server "$url"
  for year in 2021 2022 2024 2025 2022; do
    code=$(curl -s -o "$WORK/seed.out" -w '%{http_code}' -H "Authorization: Bearer $token" \
      -H 'Content-Type: application/json' --data @"$WORK/seed-$year.json" \
      "http://127.0.0.1:$HTTP_PORT/api/v1/declarations")
    [ "$code" = 201 ] || { echo "seeding failed ($code): $(cat "$WORK/seed.out")" >&2; return 1; }
  done
  curl -sf -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$HTTP_PORT/api/v1/declarations/1"

  local r_load r_cpu0 r_cpu1 s_load s_cpu0 s_cpu1
  r_load=$(load_average); r_cpu0=$(server_cpu_seconds)
  echo "-- reads: wrk -t2 -c$READ_CONNECTIONS -d${SECONDS_PER_PHASE}s (load average $r_load)" >&2
  timeout $((SECONDS_PER_PHASE + 30)) wrk -t2 -c"$READ_CONNECTIONS" -d"${SECONDS_PER_PHASE}s" --latency \
    -H "Authorization: Bearer $token" -s "$WORK/reads.lua" "http://127.0.0.1:$HTTP_PORT" >"$WORK/reads-$name.txt"
  r_cpu1=$(server_cpu_seconds)
  cat "$WORK/reads-$name.txt" >&2
  s_load=$(load_average); s_cpu0=$(server_cpu_seconds)
  echo "-- submissions: wrk -t2 -c$WRITE_CONNECTIONS -d${SECONDS_PER_PHASE}s (load average $s_load)" >&2
  timeout $((SECONDS_PER_PHASE + 30)) wrk -t2 -c"$WRITE_CONNECTIONS" -d"${SECONDS_PER_PHASE}s" --latency \
    -H "Authorization: Bearer $token" -s "$WORK/submit.lua" \
    "http://127.0.0.1:$HTTP_PORT/api/v1/declarations" >"$WORK/submit-$name.txt"
  s_cpu1=$(server_cpu_seconds)
  cat "$WORK/submit-$name.txt" >&2
  stop_server

  read -r r_rps r_p99 r_bad r_err <<<"$(parse_wrk "$WORK/reads-$name.txt")"
  read -r s_rps s_p99 s_bad s_err <<<"$(parse_wrk "$WORK/submit-$name.txt")"
  printf '%s\treads\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$r_rps" "$r_p99" "$r_bad" "$r_err" \
    "$(awk -v a="$r_cpu0" -v b="$r_cpu1" 'BEGIN { print b - a }')" "$r_load" >>"$RESULTS"
  printf '%s\tsubmissions\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$s_rps" "$s_p99" "$s_bad" "$s_err" \
    "$(awk -v a="$s_cpu0" -v b="$s_cpu1" 'BEGIN { print b - a }')" "$s_load" >>"$RESULTS"
}

SQLITE_SUBMITTED="-"
PG_SUBMITTED="-"
if [[ " $BACKENDS " == *" sqlite "* ]]; then
# SQLite: fresh file.
bench_backend sqlite "sqlite://$WORK/bench.db"
SQLITE_SUBMITTED=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from declarations where status='submitted'\").fetchone()[0])" "$WORK/bench.db" 2>/dev/null || echo "?")

fi

if [[ " $BACKENDS " == *" postgresql "* ]]; then
# PostgreSQL: throwaway server as user postgres.
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
mkdir -p "$WORK/pg"; chown postgres:postgres "$WORK/pg"; chmod 755 "$WORK"
su postgres -c "$PG_BIN/initdb -D $WORK/pg/data -A trust -U postgres" >/dev/null
su postgres -c "$PG_BIN/pg_ctl -D $WORK/pg/data -o '-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200' -l $WORK/pg/log -w start" >/dev/null
PG_STARTED=1
PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
bench_backend postgresql "$PG_URL"
PG_SUBMITTED=$(psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc "select count(*) from declarations where status='submitted'" 2>/dev/null || echo "?")
fi

echo
echo "== bench/portal results ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, ${SECONDS_PER_PHASE} s per phase, wrk on the same machine)"
printf 'backend\tload\tper_s\tp99_ms\tnon_2xx\tsocket_errors\tratio_rate_to_goal\tratio_p99_to_goal\tserver_cpu_s\tper_server_cpu_s\tloadavg_at_start\n'
while IFS=$'\t' read -r name load rps p99 bad err cpu loadavg; do
  goal=$GOAL_READS; [ "$load" = submissions ] && goal=$GOAL_SUBMISSIONS
  awk -v n="$name" -v l="$load" -v r="$rps" -v p="$p99" -v b="$bad" -v e="$err" -v g="$goal" -v gp="$GOAL_P99_MS" \
    -v c="$cpu" -v s="$SECONDS_PER_PHASE" -v la="$loadavg" \
    'BEGIN { printf "%s\t%s\t%.0f\t%.2f\t%s\t%s\t%.2f\t%.2f\t%.1f\t%.0f\t%s\n", n, l, r, p, b, e, r / g, p / gp, c, (c > 0 ? r * s / c : 0), la }'
done <"$RESULTS"
echo "submitted declarations in the database after the run: sqlite $SQLITE_SUBMITTED, postgresql $PG_SUBMITTED"
echo "goals (SQLite, 2 cores): reads >= $GOAL_READS/s, submissions >= $GOAL_SUBMISSIONS/s, p99 < $GOAL_P99_MS ms (ratio_rate >= 1, ratio_p99 < 1)"
