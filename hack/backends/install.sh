#!/usr/bin/env bash
# install.sh: installs libvirtd, virsh, qemu-img, sshd, nc, openssl and curl
# for the e2e tests
# (Debian; runs apt-get update once, only when something is missing), and
# the accounts they need.
set -euo pipefail
cd "$(dirname "$0")"
source ./env.sh

need=()
command -v libvirtd >/dev/null || need+=(libvirt-daemon)
command -v virsh >/dev/null || need+=(libvirt-clients)
command -v qemu-img >/dev/null || need+=(qemu-utils)
# virsh define (the leftover tests define cloud-api-adaptor-shaped domains,
# never started) needs an emulator binary: libvirt refuses a domain
# without one ("No emulator found for arch 'x86_64'").
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v sshd >/dev/null || need+=(openssh-server)
# virsh over qemu+ssh to a libvirtd on a private socket (?socket=) runs nc
# on the host side; unshare mounts ssh-key-secret where CAA has it.
command -v nc >/dev/null || need+=(netcat-openbsd)
command -v unshare >/dev/null || need+=(util-linux)
[ -x /usr/bin/time ] || need+=(time)
# kube-start.sh: keys and readiness probes (etcd and kube-apiserver come
# from make kube).
command -v openssl >/dev/null || need+=(openssl)
command -v curl >/dev/null || need+=(curl)
if ((${#need[@]})); then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# libvirtd exits at start without this user (qemu.conf user="root" does not help).
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 || useradd --system --no-create-home -g libvirt-qemu libvirt-qemu
# The unprivileged account the SSH tests log in as (the "KVM host admin").
id "$PEERPODS_E2E_SSH_USER" >/dev/null 2>&1 ||
  useradd --create-home --home-dir "/var/lib/$PEERPODS_E2E_SSH_USER" --shell /bin/sh "$PEERPODS_E2E_SSH_USER"
mkdir -p /var/log/libvirt /run/sshd
echo "backends installed"
