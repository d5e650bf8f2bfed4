#!/usr/bin/env bash
# The read side of the usage store: `trail usage --output csv` (all rows,
# --principal, --account, --action) and `unused --all`, timed on one store.
#
#   bench/trail/readside.sh SEIRI_BINARY STORE_FILE SNAPSHOT_WORKSPACE [ROUNDS]
#
# STORE_FILE is copied into a fresh workspace next to the snapshots of
# SNAPSHOT_WORKSPACE (any workspace with a complete snapshot, e.g. one made
# by `seiri demo`: `unused` needs one; its principals need not match the
# store's, every summary row is read either way). The principal and account
# filtered on are those of the store's first row. CPU (user + system) is
# the figure to compare on a shared machine.
set -euo pipefail
bin="$(readlink -f "$1")"; store="$2"; snap="$3"; rounds="${4:-2}"
ws="$(mktemp -d /tmp/seiri-readside-XXXX)"
trap 'rm -rf "$ws"' EXIT
cp -r "$snap/snapshots" "$ws/"
cp "$store" "$ws/usage.db"
if [ -f "$store-wal" ]; then cp "$store-wal" "$ws/usage.db-wal"; fi
/usr/bin/time -o "$ws/t" -f "%e s wall, %U+%S s CPU, %M KB" "$bin" --workspace "$ws" trail usage --output csv --limit 3 > "$ws/first.csv" 2>/dev/null
echo "first read (opens, upgrades an older schema): $(cat "$ws/t")"
p=$(sed -n 2p "$ws/first.csv" | cut -d, -f2)
a=$(sed -n 2p "$ws/first.csv" | cut -d, -f1)
echo "principal=$p account=$a load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  for q in "trail usage --output csv" "trail usage --output csv --principal $p" "trail usage --output csv --account $a" \
    "trail usage --output csv --action s3:GetObject" "unused --all --output json"; do
    # shellcheck disable=SC2086
    /usr/bin/time -o "$ws/t" -f "%e s wall, %U+%S s CPU, %M KB" "$bin" --workspace "$ws" $q > "$ws/out" 2>/dev/null || true
    echo "round $round [$q]: $(wc -l < "$ws/out") lines, $(cat "$ws/t")"
  done
done
