# Sourced by the backend scripts: where the test backends live and how the
# tests reach them. Override PEERPODS_E2E_STATE to move everything.
export PEERPODS_E2E_STATE=${PEERPODS_E2E_STATE:-/tmp/peerpods-e2e}
export PEERPODS_E2E_SSH_PORT=${PEERPODS_E2E_SSH_PORT:-2222}
export PEERPODS_E2E_SSH_USER=${PEERPODS_E2E_SSH_USER:-peerpods-e2e}
# libvirtd listens on a private socket only (no TCP).
export PEERPODS_E2E_LIBVIRT_SOCKET=$PEERPODS_E2E_STATE/run/libvirt-sock
export PEERPODS_E2E_LIBVIRT_URI="qemu+unix:///system?socket=$PEERPODS_E2E_LIBVIRT_SOCKET"
export PEERPODS_E2E_SSH_ADDR=127.0.0.1:$PEERPODS_E2E_SSH_PORT
export PEERPODS_E2E_SSH_PASSWORD_FILE=$PEERPODS_E2E_STATE/ssh-password
export PEERPODS_E2E_POOL_DIR=$PEERPODS_E2E_STATE/pools
