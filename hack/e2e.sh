#!/usr/bin/env bash
# e2e.sh [go test args...] [--- go test args...]...: installs and starts the
# real backends (libvirtd on a private socket, sshd on 127.0.0.1, etcd and
# kube-apiserver on 127.0.0.1), runs the tests (build tag e2e) against
# them, one go test per group of arguments (groups separated by ---, run
# one after the other on the same backends: a group that stops or restarts
# a backend runs alone), and stops the backends even when a test fails.
# kube-apiserver and etcd must be on PATH (make e2e builds them and puts
# $CACHE/bin on PATH).
set -euo pipefail
cd "$(dirname "$0")/.."
hack/backends/install.sh
trap 'hack/backends/kube-stop.sh; hack/backends/stop.sh' EXIT
hack/backends/start.sh
# PEERPODS_E2E_KUBE=0 leaves the API server out (make bench needs none).
[ "${PEERPODS_E2E_KUBE:-1}" = 0 ] || hack/backends/kube-start.sh
source hack/backends/env.sh
export PEERPODS_E2E=1
# PEERPODS_COVERDIR: write covdata of every package of the module, from the
# test binaries and from the binaries the engine tests build and run
# (peerpods, pulumi-resource-peerpods), for hack/coverage.sh.
cover=()
if [ -n "${PEERPODS_COVERDIR:-}" ]; then
  rm -rf "$PEERPODS_COVERDIR" && mkdir -p "$PEERPODS_COVERDIR"
  export PEERPODS_E2E_BIN_COVERDIR=$PEERPODS_COVERDIR
  cover=(-cover "-coverpkg=$(go list -m)/..." -args "-test.gocoverdir=$PEERPODS_COVERDIR")
fi
((${#@})) || set -- ./libvirt/...
status=0
while (($#)); do
  group=()
  while (($#)) && [ "$1" != --- ]; do group+=("$1"); shift; done
  (($#)) && shift
  ((${#group[@]})) || continue
  start=$(date +%s)
  # -ldflags=-w: no DWARF in the test binaries (a quarter of the link
  # time of the largest, about 290 MB; stack traces do not need it).
  go test -tags e2e -count=1 -ldflags=-w "${group[@]}" "${cover[@]}" || status=$?
  echo "e2e.sh: go test ${group[*]}: $(($(date +%s) - start)) s"
done
exit $status
