#!/usr/bin/env bash
# kube-stop.sh: stops the kube-controller-manager, kube-apiserver and etcd
# that kube-start.sh started
# (by their pid files; SIGKILL after 10 s). Safe to call twice. The data
# stays under $PEERPODS_E2E_KUBE_DIR until the next start.
set -uo pipefail
cd "$(dirname "$0")"
source ./env.sh
k=$PEERPODS_E2E_KUBE_DIR
for name in kube-controller-manager kube-apiserver etcd; do
  pidfile=$k/$name.pid
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$pidfile"
done
echo "kube stopped"
