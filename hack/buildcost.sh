#!/usr/bin/env bash
# buildcost.sh [TAGS]: the cost of a cold build of the program as the Go
# language host builds it for pulumi up (go build -trimpath of the root
# package) with an empty build cache (the module cache stays): elapsed time,
# the largest single process (max RSS, GNU time) and the peak of all the
# build's processes together (their RSS summed, sampled every 0.2 s), for
# every cloud (no TAGS) or the clouds TAGS selects, such as
# peerpods_clouds,aws. Needs GNU time (apt-get install time).
set -euo pipefail
cd "$(dirname "$0")/.."
tags=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
GOCACHE=$work/cache setsid /usr/bin/time -o "$work/time" -f "%e %M" \
  go build -trimpath ${tags:+-tags "$tags"} -o /dev/null . &
pid=$!
peak=0
while kill -0 "$pid" 2>/dev/null; do
  # setsid made the build its own process group, led by GNU time.
  sum=$(ps -eo pgid=,rss= | awk -v g="$pid" '$1 == g { s += $2 } END { print s + 0 }')
  ((sum > peak)) && peak=$sum
  sleep 0.2
done
wait "$pid"
read -r elapsed maxrss < "$work/time"
printf 'cold build%s: %s s elapsed, largest process %d MiB, all processes together at most %d MiB\n' \
  "${tags:+ -tags $tags}" "$elapsed" $((maxrss / 1024)) $((peak / 1024))
