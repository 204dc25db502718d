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
# The Kubernetes API server (kube-start.sh): etcd and kube-apiserver on
# loopback, an admin token (no anonymous access), a kubeconfig for the tests.
export PEERPODS_E2E_KUBE_DIR=$PEERPODS_E2E_STATE/kube
export PEERPODS_E2E_ETCD_PORT=${PEERPODS_E2E_ETCD_PORT:-23790}
export PEERPODS_E2E_ETCD_PEER_PORT=${PEERPODS_E2E_ETCD_PEER_PORT:-23800}
export PEERPODS_E2E_KUBE_PORT=${PEERPODS_E2E_KUBE_PORT:-6443}
export PEERPODS_E2E_KUBE_URL=https://127.0.0.1:$PEERPODS_E2E_KUBE_PORT
export PEERPODS_E2E_KUBE_TOKEN_FILE=$PEERPODS_E2E_KUBE_DIR/admin-token
export PEERPODS_E2E_KUBE_CA_FILE=$PEERPODS_E2E_KUBE_DIR/ca.crt
export PEERPODS_E2E_KUBECONFIG=$PEERPODS_E2E_KUBE_DIR/kubeconfig
