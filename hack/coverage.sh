#!/usr/bin/env bash
# coverage.sh MIN DIRS [PKGDIR...]: statement coverage per product package
# of the module from the covdata directories DIRS (comma-separated: unit
# tests, e2e tests, binaries the e2e tests ran), printed, and failing when
# a package is below MIN percent. With PKGDIRs (such as aws) only those are
# gated; without, every product package is, but for those listed in
# UNGATED with the reason.
#
# Only product code is gated: the test helpers (everything under tests/:
# tests/testkit's helpers, mocks and fakes) are proven by the tests that
# use them, the SDK generator under hack/ is a build tool, and the Go SDK
# under sdk/ is generated from the plugin's schema (the generator's test
# checks it is current). The patterns match by import path, so a helper
# added under tests/ stays out.
set -euo pipefail
min=$1 dirs=$2; shift 2
module=$(go list -m)
NOT_PRODUCT=(
  "$module/tests" "$module/tests/*"
  "$module/hack" "$module/hack/*"
  "$module/sdk/*"
)
# Product packages not gated, with the reason: main.go only calls
# pulumi.Run(stacks.Run) for the Go language host, which cannot be had
# offline (the program runs through the Automation API, covered as
# stacks); the plugin's main is run by every engine test, all but its
# exit on a failed start.
UNGATED=("$module" "$module/cmd/pulumi-resource-peerpods")
product() {
  local p
  for p in "${NOT_PRODUCT[@]}"; do
    # shellcheck disable=SC2053 # a glob pattern
    [[ $1 == $p ]] && return 1
  done
  return 0
}
out=$(go tool covdata percent -i="$dirs")
status=0
while read -r pkg _ pct _; do
  product "$pkg" || continue
  printf '\t%s\tcoverage: %s%% of statements\n' "$pkg" "$pct"
  rel=${pkg#"$module"}; rel=${rel#/}
  if (($#)); then
    keep=0
    for d in "$@"; do [ "$d" = "$rel" ] && keep=1; done
    ((keep)) || continue
  else
    for u in "${UNGATED[@]}"; do [ "$u" = "$pkg" ] && continue 2; done
  fi
  if awk -v p="$pct" -v m="$min" 'BEGIN{exit !(p < m)}'; then
    echo "coverage of ${rel:-.} is $pct%, below $min%" >&2; status=1
  fi
done < <(sed -nE 's/^\s*(\S+)\s+coverage: ([0-9.]+)% of statements.*/\1 x \2 y/p' <<<"$out")
exit $status
