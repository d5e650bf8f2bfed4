#!/usr/bin/env bash
# A rescan with one new hour of logs: scan a corpus without the files
# delivered in its last hour, then the same folder (same workspace) with
# them, and print both scans' wall and CPU time and peak RSS. The second
# scan should cost in proportion to that hour, not to the store.
#
#   bench/trail/onehour.sh CORPUS_DIR [SEIRI]
#
# KEEP=DIR keeps the workspace after the rescan in DIR (to compare the
# stores two binaries leave: go run ./bench/trail/storedump DIR/usage.db).
#
# The corpus is not changed: the scans read a hard-linked copy in /tmp
# (same file system as /tmp needed; otherwise set TMPDIR). The delivery
# time is the one in the file name (ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_…).
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus="$(readlink -f "${1:?corpus folder}")"
seiri="${2:-}"
x="$(mktemp -d)"
trap 'rm -rf "$x"' EXIT
if [ -z "$seiri" ]; then
  go build -o "$x/seiri" ./cmd/seiri
  seiri="$x/seiri"
fi
cp -al "$corpus" "$x/logs"
# The last hour: files delivered at most 60 minutes before the newest.
find "$x/logs" -name '*.json.gz' | awk '
  match($0, /_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]T[0-9][0-9][0-9][0-9]Z_/) {
    s = substr($0, RSTART + 1, 13)
    t = mktime(substr(s, 1, 4) " " substr(s, 5, 2) " " substr(s, 7, 2) " " substr(s, 10, 2) " " substr(s, 12, 2) " 0")
    f[NR] = $0; ts[NR] = t; if (t > max) max = t
  }
  END { for (i in f) if (ts[i] > max - 3600) print f[i] }' > "$x/hour"
while read -r f; do mv "$f" "$f.later"; done < "$x/hour"
fmt='wall %e s, CPU %U+%S s, max RSS %M KB'
echo "corpus: $(find "$x/logs" -name '*.json.gz' | wc -l) files, then $(wc -l < "$x/hour") more delivered in the last hour"
/usr/bin/time -f "scan without the last hour: $fmt" "$seiri" --workspace "$x/ws" --no-progress trail scan --source "$x/logs" > /dev/null
while read -r f; do mv "$f.later" "$f"; done < "$x/hour"
/usr/bin/time -f "rescan with the last hour: $fmt" "$seiri" --workspace "$x/ws" --no-progress trail scan --source "$x/logs" |
  grep -E '^(files read|records|usage rows|duration) ' | tr -s ' ' | paste -sd ';'
if [ -n "${KEEP:-}" ]; then
  rm -rf "$KEEP"
  cp -a "$x/ws" "$KEEP"
fi
