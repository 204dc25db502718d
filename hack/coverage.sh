#!/usr/bin/env bash
# coverage.sh MIN DIRS [PKGDIR...]: statement coverage per package of the
# module from the covdata directories DIRS (comma-separated: unit tests,
# e2e tests, binaries the e2e tests ran), printed, and failing when a
# package is below MIN percent. With PKGDIRs (such as aws) only those are
# gated; without, every package with code is, but for those listed in
# UNGATED with the reason.
set -euo pipefail
min=$1 dirs=$2; shift 2
module=$(go list -m)
# Packages not gated, with the reason: main.go only calls
# pulumi.Run(stacks.Run) for the Go language host, which cannot be had
# offline (the program runs through the Automation API, covered as
# stacks); the plugin's main is run by every engine test, all but its
# exit on a failed start.
# The Go SDK under sdk/go is generated from the plugin's schema
# (hack/sdkgen checks it is current), and only partly used by the
# program.
UNGATED=("$module" "$module/cmd/pulumi-resource-peerpods")
UNGATED_PREFIX="$module/sdk/go/"
out=$(go tool covdata percent -i="$dirs")
echo "$out"
status=0
while read -r pkg _ pct _; do
  pct=${pct%\%}
  rel=${pkg#"$module"}; rel=${rel#/}
  if (($#)); then
    keep=0
    for d in "$@"; do [ "$d" = "$rel" ] && keep=1; done
    ((keep)) || continue
  else
    for u in "${UNGATED[@]}"; do [ "$u" = "$pkg" ] && continue 2; done
    [[ $pkg == "$UNGATED_PREFIX"* ]] && continue
  fi
  if awk -v p="$pct" -v m="$min" 'BEGIN{exit !(p < m)}'; then
    echo "coverage of ${rel:-.} is $pct%, below $min%" >&2; status=1
  fi
done < <(sed -nE 's/^\s*(\S+)\s+coverage: ([0-9.]+)% of statements.*/\1 x \2 y/p' <<<"$out")
exit $status
