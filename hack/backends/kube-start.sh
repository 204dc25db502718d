#!/usr/bin/env bash
# kube-start.sh: starts a fresh etcd (127.0.0.1:$PEERPODS_E2E_ETCD_PORT, data
# under $PEERPODS_E2E_KUBE_DIR) and a kube-apiserver on
# $PEERPODS_E2E_KUBE_URL with a random admin token and no anonymous access,
# waits until /readyz answers, writes $PEERPODS_E2E_KUBECONFIG, and starts
# kube-controller-manager with only the garbage collector and the namespace
# controller: pulumi-kubernetes deletes with foreground propagation, which
# only the garbage collector completes, and deleted namespaces go away.
# Needs kube-apiserver, kube-controller-manager and etcd on PATH (make kube
# builds them).
set -euo pipefail
cd "$(dirname "$0")"
source ./env.sh
k=$PEERPODS_E2E_KUBE_DIR
READY_TIMEOUT=${PEERPODS_E2E_KUBE_READY_TIMEOUT:-90} # seconds, per server

for bin in etcd kube-apiserver kube-controller-manager; do
  command -v "$bin" >/dev/null || { echo "kube-start.sh: $bin is not on PATH: run make kube and add \$CACHE/bin (~/.cache/peerpods/bin) to PATH" >&2; exit 1; }
done
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
if running "$k/etcd.pid" || running "$k/kube-apiserver.pid" || running "$k/kube-controller-manager.pid"; then
  echo "kube-start.sh: already running under $k; run kube-stop.sh first" >&2
  exit 1
fi
for port in "$PEERPODS_E2E_ETCD_PORT" "$PEERPODS_E2E_ETCD_PEER_PORT" "$PEERPODS_E2E_KUBE_PORT"; do
  if (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null; then
    echo "kube-start.sh: port $port on 127.0.0.1 is taken by another process" >&2
    exit 1
  fi
done

# On failure, stop what this run started.
trap 'rc=$?; [ $rc = 0 ] || ./kube-stop.sh >/dev/null; exit $rc' EXIT

# A fresh cluster every start: the tests rely on unique names, not on cleanup.
rm -rf "$k"
mkdir -p "$k/pki"
chmod 700 "$k"
start=$(date +%s.%N)

# fail MESSAGE LOG: reports a server that did not come up, with the tail of
# its log $k/LOG.log.
fail() {
  echo "kube-start.sh: $1; last lines of $k/$2.log:" >&2
  tail -n 25 "$k/$2.log" >&2 || true
  exit 1
}

setsid etcd --name peerpods-e2e --data-dir "$k/etcd" \
  --listen-client-urls "http://127.0.0.1:$PEERPODS_E2E_ETCD_PORT" \
  --advertise-client-urls "http://127.0.0.1:$PEERPODS_E2E_ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$PEERPODS_E2E_ETCD_PEER_PORT" \
  --initial-advertise-peer-urls "http://127.0.0.1:$PEERPODS_E2E_ETCD_PEER_PORT" \
  --initial-cluster "peerpods-e2e=http://127.0.0.1:$PEERPODS_E2E_ETCD_PEER_PORT" \
  --unsafe-no-fsync --log-level warn \
  </dev/null >"$k/etcd.log" 2>&1 &
echo $! >"$k/etcd.pid"

# Credentials: the service-account signing key pair and the admin token
# (token-auth-file columns: token,user,uid,groups).
openssl genrsa -out "$k/pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$k/pki/sa.key" -pubout -out "$k/pki/sa.pub" 2>/dev/null
(umask 077
  head -c 32 /dev/urandom | base64 | tr -d '/+=\n' >"$PEERPODS_E2E_KUBE_TOKEN_FILE"
  echo "$(cat "$PEERPODS_E2E_KUBE_TOKEN_FILE"),peerpods-e2e-admin,peerpods-e2e-admin,system:masters" >"$k/tokens.csv"
  # curl reads the header from a file: the token stays out of argv.
  echo "Authorization: Bearer $(cat "$PEERPODS_E2E_KUBE_TOKEN_FILE")" >"$k/auth-header")

deadline=$(($(date +%s) + READY_TIMEOUT))
until curl -fsS -o /dev/null "http://127.0.0.1:$PEERPODS_E2E_ETCD_PORT/health" 2>/dev/null; do
  running "$k/etcd.pid" || fail "etcd exited" etcd
  [ "$(date +%s)" -lt "$deadline" ] || fail "etcd not healthy after ${READY_TIMEOUT}s" etcd
  sleep 0.1
done

setsid kube-apiserver \
  --etcd-servers="http://127.0.0.1:$PEERPODS_E2E_ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 \
  --secure-port="$PEERPODS_E2E_KUBE_PORT" --cert-dir="$k/pki" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$k/pki/sa.pub" \
  --service-account-signing-key-file="$k/pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/24 \
  --token-auth-file="$k/tokens.csv" --anonymous-auth=false \
  --authorization-mode=Node,RBAC \
  --enable-priority-and-fairness=false --endpoint-reconciler-type=none \
  </dev/null >"$k/kube-apiserver.log" 2>&1 &
echo $! >"$k/kube-apiserver.pid"

# --cert-dir makes a self-signed CA and a serving certificate signed by it;
# apiserver.crt holds both (serving certificate first). The CA is the last.
deadline=$(($(date +%s) + READY_TIMEOUT))
until [ -s "$k/pki/apiserver.crt" ] &&
  curl -fsS -o /dev/null --cacert "$k/pki/apiserver.crt" -H @"$k/auth-header" "$PEERPODS_E2E_KUBE_URL/readyz" 2>/dev/null; do
  running "$k/kube-apiserver.pid" || fail "kube-apiserver exited" kube-apiserver
  [ "$(date +%s)" -lt "$deadline" ] || fail "kube-apiserver not ready (/readyz) after ${READY_TIMEOUT}s" kube-apiserver
  sleep 0.1
done
awk '/BEGIN CERTIFICATE/{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' "$k/pki/apiserver.crt" >"$PEERPODS_E2E_KUBE_CA_FILE"
openssl x509 -in "$PEERPODS_E2E_KUBE_CA_FILE" -noout -ext basicConstraints 2>/dev/null | grep -q 'CA:TRUE' ||
  { echo "kube-start.sh: no CA certificate at the end of $k/pki/apiserver.crt" >&2; exit 1; }

(umask 077
  cat >"$PEERPODS_E2E_KUBECONFIG" <<CONF
apiVersion: v1
kind: Config
clusters:
- name: peerpods-e2e
  cluster:
    server: $PEERPODS_E2E_KUBE_URL
    certificate-authority-data: $(base64 -w0 "$PEERPODS_E2E_KUBE_CA_FILE")
users:
- name: peerpods-e2e-admin
  user:
    token: $(cat "$PEERPODS_E2E_KUBE_TOKEN_FILE")
contexts:
- name: peerpods-e2e
  context:
    cluster: peerpods-e2e
    user: peerpods-e2e-admin
current-context: peerpods-e2e
CONF
)
# The kubeconfig's CA must verify the server: one request with it only.
curl -fsS -o /dev/null --cacert "$PEERPODS_E2E_KUBE_CA_FILE" -H @"$k/auth-header" "$PEERPODS_E2E_KUBE_URL/version" ||
  { echo "kube-start.sh: the extracted CA does not verify $PEERPODS_E2E_KUBE_URL" >&2; exit 1; }
# The garbage collector and the namespace controller, nothing else (no
# serving port, no leader election: one instance on a throwaway cluster).
setsid kube-controller-manager --kubeconfig="$PEERPODS_E2E_KUBECONFIG" \
  --controllers=garbage-collector-controller,namespace-controller \
  --secure-port=0 --leader-elect=false --use-service-account-credentials=false \
  </dev/null >"$k/kube-controller-manager.log" 2>&1 &
echo $! >"$k/kube-controller-manager.pid"
# Ready when its garbage collector has synced the API's resources (its log
# says so), so that the first foreground delete is collected.
deadline=$(($(date +%s) + READY_TIMEOUT))
until grep -qi "all resource monitors have synced" "$k/kube-controller-manager.log" 2>/dev/null; do
  running "$k/kube-controller-manager.pid" || fail "kube-controller-manager exited" kube-controller-manager
  [ "$(date +%s)" -lt "$deadline" ] || fail "kube-controller-manager's garbage collector not synced after ${READY_TIMEOUT}s" kube-controller-manager
  sleep 0.1
done
echo "kube up: $PEERPODS_E2E_KUBE_URL (etcd 127.0.0.1:$PEERPODS_E2E_ETCD_PORT) in" \
  "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b-a}')s, kubeconfig $PEERPODS_E2E_KUBECONFIG"
