#!/usr/bin/env bash
# stop.sh: stops the libvirtd and sshd that start.sh started (by their pid
# files), and removes the pools the tests left defined.
set -uo pipefail
cd "$(dirname "$0")"
source ./env.sh
s=$PEERPODS_E2E_STATE
if [ -S "$PEERPODS_E2E_LIBVIRT_SOCKET" ]; then
  for p in $(virsh -q -c "$PEERPODS_E2E_LIBVIRT_URI" pool-list --all --name 2>/dev/null | grep '^ppe2e-'); do
    virsh -q -c "$PEERPODS_E2E_LIBVIRT_URI" pool-destroy "$p" >/dev/null 2>&1
    virsh -q -c "$PEERPODS_E2E_LIBVIRT_URI" pool-undefine "$p" >/dev/null 2>&1
  done
fi
for pidfile in "$s/ssh/sshd.pid" "$s/libvirtd.pid" "$s/virtlogd.pid"; do
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  if kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$pidfile"
done
echo "backends stopped"
