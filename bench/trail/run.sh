#!/usr/bin/env bash
# Benchmark the local CloudTrail engine against the decompression floor and DuckDB.
#
#   bench/trail/run.sh [CORPUS_DIR]   (default /tmp/ctbench; generated if missing)
#
# Generated data and node_modules go to /tmp, never into git.
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="${1:-/tmp/ctbench}"
threads="${THREADS:-$(nproc)}"
if [ ! -d "$corpus" ]; then
  go run ./bench/trail/gencorpus -out "$corpus" -accounts 4 -days 8 -scale 4
fi
go build -o /tmp/seiri-trail-bench ./cmd/seiri
nodedir=/tmp/seiri-duckdb-node
if [ ! -d "$nodedir/node_modules/@duckdb/node-api" ]; then
  mkdir -p "$nodedir" && (cd "$nodedir" && npm init -y >/dev/null && npm install --silent @duckdb/node-api)
fi
cp bench/trail/duckdb_compare.mjs "$nodedir/"
echo "corpus: $(find "$corpus" -name '*.json.gz' | wc -l) files, $(du -sh --apparent-size "$corpus" | cut -f1) compressed"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2 3; do
  echo "--- round $round"
  /usr/bin/time -f "gzip -dc (xargs -P$threads): wall %e s, user %U s, max RSS %M KB" \
    bash -c "find '$corpus' -name '*.json.gz' -print0 | xargs -0 -P$threads -n 256 gzip -dc > /dev/null"
  ws=$(mktemp -d)
  /usr/bin/time -f "seiri trail scan: wall %e s, user %U s, max RSS %M KB" \
    /tmp/seiri-trail-bench --workspace "$ws" --no-progress trail scan --source "$corpus" --parallel "$threads" > "$ws/summary.txt"
  grep -E '^(records|usage rows|bytes decompressed) ' "$ws/summary.txt" | tr -s ' ' | paste -sd ';'
  rm -rf "$ws"
  /usr/bin/time -f "duckdb read_json: wall %e s, user %U s, max RSS %M KB" \
    node "$nodedir/duckdb_compare.mjs" "$corpus" "$threads"
done
