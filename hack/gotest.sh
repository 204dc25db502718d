#!/usr/bin/env bash
# gotest.sh MIN DIR...: runs every test of the module once, with coverage,
# and fails if a test fails or a listed package (by directory, such as
# aws) has less than MIN percent statement coverage.
set -euo pipefail
min=$1; shift
module=$(go list -m)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
go test -count=1 -cover ./... 2>&1 | tee "$out" || status=$?
for dir in "$@"; do
  line=$(grep -E "^ok[[:space:]]+$module/$dir[[:space:]]" "$out" || true)
  pct=$(sed -nE 's/.*coverage: ([0-9.]+)% of statements.*/\1/p' <<<"$line")
  if [ -z "$pct" ]; then
    echo "no coverage figure for $dir" >&2; status=1
  elif awk -v p="$pct" -v m="$min" 'BEGIN{exit !(p < m)}'; then
    echo "coverage of $dir is $pct%, below $min%" >&2; status=1
  fi
done
exit $status
