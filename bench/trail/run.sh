#!/usr/bin/env bash
# Benchmark `seiri trail scan` (the local engine and the usage store's
# commit) against the decompression floor and DuckDB, side by side.
#
#   bench/trail/run.sh [CORPUS_DIR] [HOURS]
#
# CORPUS_DIR defaults to /tmp/ct-300m and is generated if missing with the
# shared realistic generator (../shared/bench/ctgen, or $CTGEN): HOURS=4.5
# gives the 300 MB corpus (154,379 events, 9,873 files), HOURS=24 the 3 GB
# one. Generated data and node_modules go to /tmp, never into git.
#
# KEEP_STORE=FILE keeps the store of the fresh `trail scan` (the read side
# is measured on it by bench/trail/readside.sh); NO_DUCKDB=1 skips DuckDB.
#
# Every line gives wall and CPU (user + system) time and peak RSS: on a
# shared machine the CPU time is the steadier figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-/tmp/ct-300m}"
corpus="$(readlink -f "$corpus")" # find does not follow a symlinked corpus folder
hours="${2:-4.5}"
threads="${THREADS:-$(nproc)}"
rounds="${ROUNDS:-3}"
if [ ! -d "$corpus" ]; then
  ctgen="${CTGEN:-../shared/bench/ctgen}"
  (cd "$ctgen" && go build -o /tmp/ctgen-bin .)
  /tmp/ctgen-bin -out "$corpus" -seed 42 -start 2024-03-04T00:00:00Z -hours "$hours" -events-per-day 1.32e6
fi
# Binaries go to a folder of this run: sessions sharing the machine run
# their own builds side by side.
bin="$(mktemp -d /tmp/seiri-bench-XXXX)"
trap 'rm -rf "$bin"' EXIT
go build -o "$bin/seiri" ./cmd/seiri
go build -o "$bin/commitprof" ./bench/trail/commitprof
go build -o "$bin/scanprof" ./bench/trail/scanprof
go build -o "$bin/storestat" ./bench/trail/storestat
nodedir=/tmp/seiri-duckdb-node
if [ "${NO_DUCKDB:-}" = "" ] && [ ! -d "$nodedir/node_modules/@duckdb/node-api" ]; then
  mkdir -p "$nodedir" && (cd "$nodedir" && npm init -y >/dev/null && npm install --silent @duckdb/node-api)
fi
[ "${NO_DUCKDB:-}" = "" ] && cp bench/trail/duckdb_compare.mjs "$nodedir/"
fmt='wall %e s, CPU %U+%S s, max RSS %M KB'
echo "corpus: $(find "$corpus" -name '*.json.gz' | wc -l) files, $(du -sh --apparent-size "$corpus" | cut -f1) compressed"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
# walls NAME prints the line /usr/bin/time wrote to $bin/t and keeps its
# wall time under NAME, for the medians at the end.
walls() {
  cat "$bin/t" >&2
  sed -n 's/.*: wall \([0-9.]*\) s,.*/\1/p' "$bin/t" >> "$bin/walls.$1"
}
median() { sort -g "$bin/walls.$1" | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
for round in $(seq "$rounds"); do
  echo "--- round $round (load $(cut -d' ' -f1-3 /proc/loadavg))"
  /usr/bin/time -o "$bin/t" -f "gzip -dc (xargs -P$threads): $fmt" \
    bash -c "find '$corpus' -name '*.json.gz' -print0 | xargs -0 -P$threads -n 256 gzip -dc > /dev/null"
  walls floor
  ws=$(mktemp -d)
  /usr/bin/time -o "$bin/t" -f "seiri trail scan (fresh workspace): $fmt" \
    "$bin/seiri" --workspace "$ws" --no-progress trail scan --source "$corpus" --parallel "$threads" > "$ws/summary.txt"
  walls scan
  grep -E '^(records|usage rows|duration) ' "$ws/summary.txt" | tr -s ' ' | paste -sd ';'
  echo "store: $(du -b "$ws"/usage.db* | awk '{s+=$1} END {print s}') bytes"
  "$bin/storestat" "$ws/usage.db" # bytes per table and index, per row and event
  # KEEP_STORE=FILE keeps the fresh scan's store (for bench/trail/readside.sh).
  if [ -n "${KEEP_STORE:-}" ]; then
    cp "$ws/usage.db" "$KEEP_STORE"
    if [ -f "$ws/usage.db-wal" ]; then cp "$ws/usage.db-wal" "$KEEP_STORE-wal"; fi
  fi
  rm -rf "$ws"
  st=$(mktemp -d)
  /usr/bin/time -f "scan into a store (trail.ScanInto: lock, ledger, scan, commit): $fmt" \
    "$bin/scanprof" -dir "$corpus" -parallel "$threads" -store "$st/usage.db"
  rm -rf "$st"
  /usr/bin/time -f "commit alone: $fmt" "$bin/commitprof" -dir "$corpus" -parallel "$threads"
  if [ "${NO_DUCKDB:-}" = "" ]; then
    /usr/bin/time -o "$bin/t" -f "duckdb read_json: $fmt" node "$nodedir/duckdb_compare.mjs" "$corpus" "$threads"
    walls duckdb
  fi
done
# The targets of issue 13 compare medians of rounds run side by side.
floor=$(median floor) scan=$(median scan)
echo "medians of $rounds round(s): gzip -dc ${floor} s, seiri trail scan ${scan} s: $(awk -v a="$scan" -v b="$floor" 'BEGIN {printf "%.2f", a / b}')x the floor"
if [ -s "$bin/walls.duckdb" ]; then
  duck=$(median duckdb)
  echo "DuckDB read_json ${duck} s: seiri trail scan is $(awk -v a="$duck" -v b="$scan" 'BEGIN {printf "%.2f", a / b}')x faster"
fi
