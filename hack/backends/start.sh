#!/usr/bin/env bash
# start.sh: starts a private libvirtd (unix socket under $PEERPODS_E2E_STATE,
# no TCP) and an sshd on 127.0.0.1:$PEERPODS_E2E_SSH_PORT that lets
# $PEERPODS_E2E_SSH_USER in by password or key. No systemd needed.
set -euo pipefail
cd "$(dirname "$0")"
source ./env.sh
s=$PEERPODS_E2E_STATE
mkdir -p "$s/run" "$s/pools" "$s/ssh"
chmod 755 "$s"

# Another libvirtd, not one that exited and waits to be reaped (a zombie).
for pid in $(pgrep -x libvirtd); do
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = Z ] && continue
  if [ "$pid" != "$(cat "$s/libvirtd.pid" 2>/dev/null)" ]; then
    echo "start.sh: another libvirtd (pid $pid) runs; it would share /etc/libvirt and /run/libvirt with ours" >&2
    exit 1
  fi
done
# /dev/kvm as udev would leave it for the emulator's user (here no udev
# runs: it is root's alone). Otherwise libvirtd's capability probe, which
# runs QEMU as that user, finds KVM when it probes and not when it checks
# its cache, and probes again at every domain define: 31 s each
# (libvirt 9.0 virQEMUCapsIsValid: "KVM was enabled when probing ..., but
# it is not available now").
if [ -c /dev/kvm ]; then chmod 0666 /dev/kvm; fi
cat >"$s/libvirtd.conf" <<CONF
unix_sock_dir = "$s/run"
unix_sock_group = "$PEERPODS_E2E_SSH_USER"
unix_sock_rw_perms = "0770"
unix_sock_ro_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
listen_tls = 0
listen_tcp = 0
log_outputs = "3:file:$s/libvirtd.log"
CONF
if [ ! -S "$PEERPODS_E2E_LIBVIRT_SOCKET" ] || ! virsh -q -c "$PEERPODS_E2E_LIBVIRT_URI" uri >/dev/null 2>&1; then
  libvirtd -d --config "$s/libvirtd.conf" --pid-file "$s/libvirtd.pid"
fi
# virtlogd takes the output of the domains libvirtd starts (its QEMU driver
# refuses to start one without /run/libvirt/virtlogd-sock); the tests that
# keep running pod VMs start TCG domains.
if ! [ -S /run/libvirt/virtlogd-sock ]; then
  virtlogd -d --pid-file "$s/virtlogd.pid"
fi
for _ in $(seq 100); do
  virsh -q -c "$PEERPODS_E2E_LIBVIRT_URI" uri >/dev/null 2>&1 && break
  sleep 0.1
done
virsh -q -c "$PEERPODS_E2E_LIBVIRT_URI" uri >/dev/null || { echo "libvirtd did not start; see $s/libvirtd.log" >&2; exit 1; }
# libvirtd probes QEMU's capabilities (it starts each qemu-system binary
# and asks it over QMP: minutes on a busy 2-core machine) the first time
# it needs them, at the first domain define after it starts, unless its
# cache under /var/cache/libvirt/qemu/capabilities is current. Ask for
# them now, in the background (no output held: the fault tests run this
# script and wait for its output), so that the probe overlaps with what
# runs before the first define (the tests' build).
# Its time is kept in $s/qemu-probe.log.
(
  t0=$(date +%s.%N)
  virsh -q -c "$PEERPODS_E2E_LIBVIRT_URI" capabilities >/dev/null 2>&1
  echo "$(date -u +%FT%TZ) virsh capabilities: exit $?, $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}') s" >>"$s/qemu-probe.log"
) </dev/null >/dev/null 2>&1 &

# sshd: own host key, loopback only, password (bootstrap) and key auth.
[ -f "$s/ssh/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$s/ssh/host_ed25519"
if [ ! -f "$PEERPODS_E2E_SSH_PASSWORD_FILE" ]; then
  (umask 077; head -c 18 /dev/urandom | base64 >"$PEERPODS_E2E_SSH_PASSWORD_FILE")
fi
echo "$PEERPODS_E2E_SSH_USER:$(cat "$PEERPODS_E2E_SSH_PASSWORD_FILE")" | chpasswd
cat >"$s/ssh/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $PEERPODS_E2E_SSH_PORT
HostKey $s/ssh/host_ed25519
PidFile $s/ssh/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
AllowUsers $PEERPODS_E2E_SSH_USER
AllowStreamLocalForwarding yes
LogLevel VERBOSE
CONF
mkdir -p /run/sshd
if ! { [ -f "$s/ssh/sshd.pid" ] && kill -0 "$(cat "$s/ssh/sshd.pid")" 2>/dev/null; }; then
  /usr/sbin/sshd -f "$s/ssh/sshd_config" -E "$s/ssh/sshd.log"
fi
for _ in $(seq 50); do
  (exec 3<>/dev/tcp/127.0.0.1/"$PEERPODS_E2E_SSH_PORT") 2>/dev/null && break
  sleep 0.1
done
(exec 3<>/dev/tcp/127.0.0.1/"$PEERPODS_E2E_SSH_PORT") || { echo "sshd did not start; see $s/ssh/sshd.log" >&2; exit 1; }
echo "backends up: $PEERPODS_E2E_LIBVIRT_URI, sshd $PEERPODS_E2E_SSH_ADDR"
