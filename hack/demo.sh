#!/usr/bin/env bash
# demo.sh up|down: the main job, offline, on this machine. up installs
# libvirt (Debian packages), starts this machine's libvirtd if none answers
# at qemu:///system, makes a small pod VM image, runs
# `peerpods up --stack libvirt-local` on a file:// backend and prints the
# outputs and the peer-pods ConfigMap it would hand to the cluster. down
# destroys the stack, removes it, and stops the libvirtd that up started
# (by the pid in its pid file: no other libvirtd on the machine).
# Needs root, pulumi and the project's binaries on PATH (make demo does it).
set -euo pipefail
cd "$(dirname "$0")/.."
stack=libvirt-local
demo=${PEERPODS_DEMO_DIR:-/var/tmp/peerpods}
image=$demo/podvm-demo.qcow2   # the path stacks/Pulumi.libvirt-local.yaml names
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$demo/state}
export PULUMI_SKIP_UPDATE_CHECK=1
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  # A demo passphrase, kept with the demo state; use your own for real stacks.
  mkdir -p "$demo"
  [ -f "$demo/passphrase" ] || (umask 077; head -c 18 /dev/urandom | base64 >"$demo/passphrase")
  export PULUMI_CONFIG_PASSPHRASE_FILE=$demo/passphrase
fi
mkdir -p "${PULUMI_BACKEND_URL#file://}"

case "${1:-}" in
up)
  hack/backends/install.sh
  if ! virsh -q -c qemu:///system uri >/dev/null 2>&1; then
    mkdir -p /var/log/libvirt
    # Its own pid file: down stops exactly this daemon, by its pid.
    libvirtd -d --pid-file "$demo/libvirtd.pid"
    for _ in $(seq 100); do virsh -q -c qemu:///system uri >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  mkdir -p /var/lib/libvirt/images
  [ -f "$image" ] || qemu-img create -q -f qcow2 "$image" 1G
  peerpods up --yes --stack "$stack"
  echo; echo "== stack outputs (peerpods outputs --stack $stack)"
  peerpods outputs --stack "$stack"
  echo; echo "== the peer-pods ConfigMap it would hand to the cluster (peerpods outputs --stack $stack --configmap)"
  peerpods outputs --stack "$stack" --configmap
  echo; echo "tear down with: make demo-down"
  ;;
down)
  peerpods destroy --yes --stack "$stack" --remove
  # Only the libvirtd up started (its pid file), never another one on the
  # machine; a pid reused by another program is left alone.
  if [ -f "$demo/libvirtd.pid" ]; then
    pid=$(cat "$demo/libvirtd.pid")
    if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = libvirtd ]; then
      kill "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$demo/libvirtd.pid"
  fi
  ;;
*)
  echo "usage: $0 up|down" >&2
  exit 64
  ;;
esac
