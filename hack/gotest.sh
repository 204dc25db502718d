#!/usr/bin/env bash
# gotest.sh MIN DIR...: runs every test of the module once, with coverage
# data of every package of the module written to .cover/unit (binary
# covdata, merged later with the e2e run's by hack/coverage.sh), and fails
# if a test fails or a listed package (by directory, such as aws) has less
# than MIN percent statement coverage from the unit tests alone.
set -euo pipefail
min=$1; shift
cd "$(dirname "$0")/.."
dir=.cover/unit
rm -rf "$dir" && mkdir -p "$dir"
status=0
go test -count=1 -cover -coverpkg=./... ./... -args -test.gocoverdir="$PWD/$dir" || status=$?
hack/coverage.sh "$min" "$dir" "$@" || status=1
exit $status
