#!/usr/bin/env bash
# Starts and stops a local Kubernetes control plane on 127.0.0.1 (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kwok's simulated node) for the prod stack's tests.
# See --help.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DIR="${KUBE_CLUSTER_DIR:-$CACHE/kube-cluster}"
PORT_BASE="${KUBE_CLUSTER_PORT_BASE:-26400}"
ETCD_PORT=$((PORT_BASE + 79)); ETCD_PEER_PORT=$((PORT_BASE + 80))
API_PORT=$((PORT_BASE + 43)); CM_PORT=$((PORT_BASE + 57)); SCHED_PORT=$((PORT_BASE + 59)); KWOK_PORT=$((PORT_BASE + 81))
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
NODE=kwok-node-0

usage() {
  cat <<EOF
Usage: scripts/kube-cluster.sh start|stop|status|kubeconfig [--dir DIR]

  start       build the binaries if needed (scripts/kube-toolchain.sh), create a CA and
              certificates once, start the control plane and one simulated node, and wait
              until the API server is ready and the node is Ready (bounded: 180 s);
              on failure, whatever it started is stopped again
  stop        stop every process this script started in DIR (the data stays in DIR)
  status      the processes and the API server's /readyz; exit 0 only when all run
  kubeconfig  print the path of the admin kubeconfig (for kubectl --kubeconfig / KUBECONFIG)

Everything listens on 127.0.0.1 only: etcd :$ETCD_PORT, API server :$API_PORT,
controller-manager :$CM_PORT, scheduler :$SCHED_PORT, kwok :$KWOK_PORT (KUBE_CLUSTER_PORT_BASE
moves them all). Pods never run: kwok marks them Running and Ready (Job pods Succeeded), so
Deployments, StatefulSets and Jobs roll out and report status as on a real cluster. There is
no storage provisioner: create PersistentVolumes for volumeClaimTemplates yourself.

Folder (default \$CACHE/kube-cluster, or KUBE_CLUSTER_DIR / --dir): pki/, etcd data,
admin.kubeconfig, logs/<component>.log, pids/<component>.pid. Idempotent: start on a
running cluster only checks it, stop on a stopped one does nothing.
EOF
}

CMD="${1:-}"; shift || true
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
done
BIN="$("$ROOT/scripts/kube-toolchain.sh" --print-path)"
STAGES="$(dirname "$BIN")/stages"
PKI="$DIR/pki"; KUBECONFIG_FILE="$DIR/admin.kubeconfig"
kubectl() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" --request-timeout 5s "$@"; }

# A pid file counts only while its process is still this component's binary (pids are reused).
running() {
  local pid; pid=$(cat "$DIR/pids/$1.pid" 2>/dev/null) || return 1
  [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$BIN/$1" ]
}

certificates() {
  [ -f "$PKI/admin.crt" ] && return 0
  pki_ca "$PKI" litellm-gateway-test-ca
  pki_sign "$PKI" apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  pki_sign "$PKI" admin "/O=system:masters/CN=admin"
  kubeconfig_of local "https://127.0.0.1:$API_PORT" "$PKI" admin > "$KUBECONFIG_FILE"
}

launch() { # NAME ARGS...: starts NAME in the background unless it runs, logging to logs/NAME.log
  local name=$1; shift
  running "$name" && return 0
  nohup "$BIN/$name" "$@" >> "$DIR/logs/$name.log" 2>&1 &
  echo $! > "$DIR/pids/$name.pid"
}

wait_for() { # SECONDS WHAT COMMAND...: polls COMMAND once a second, fails with WHAT after SECONDS
  local limit=$1 what=$2; shift 2
  local i; for ((i = 0; i < limit; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "==> $what not ready after $limit s; logs in $DIR/logs" >&2
  return 1
}

node_manifest() {
  cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $NODE
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: $NODE, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "110"}
  capacity: {cpu: "64", memory: 256Gi, pods: "110"}
EOF
}

start() {
  "$ROOT/scripts/kube-toolchain.sh" control-plane >/dev/null
  "$ROOT/scripts/kube-toolchain.sh" kwok >/dev/null
  mkdir -p "$DIR/logs" "$DIR/pids" "$DIR/etcd"
  certificates
  local kc=(--kubeconfig "$KUBECONFIG_FILE" --authentication-kubeconfig "$KUBECONFIG_FILE"
            --authorization-kubeconfig "$KUBECONFIG_FILE" --leader-elect=false --bind-address=127.0.0.1)
  launch etcd --name local --data-dir "$DIR/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$ETCD_PEER_PORT"
  launch kube-apiserver --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" \
    --endpoint-reconciler-type none --service-cluster-ip-range 10.96.0.0/16 \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --client-ca-file "$PKI/ca.crt" --authorization-mode Node,RBAC \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc
  wait_for 60 "kube-apiserver" kubectl get --raw /readyz
  launch kube-controller-manager "${kc[@]}" --secure-port "$CM_PORT" --root-ca-file "$PKI/ca.crt" \
    --service-account-private-key-file "$PKI/sa.key" --use-service-account-credentials --controllers '*'
  launch kube-scheduler "${kc[@]}" --secure-port "$SCHED_PORT"
  # kwok's stages, where toolchain/kwok/ holds a variant of one its copy instead, plus the
  # project's own (a test stand-in that fails labelled Job pods).
  local stages=(); local f
  for f in "$STAGES"/*.yaml; do [ -f "$ROOT/toolchain/kwok/${f##*/}" ] || stages+=(--config "$f"); done
  for f in "$ROOT"/toolchain/kwok/*.yaml; do stages+=(--config "$f"); done
  # The heartbeat stage updates node status every 10 min and relies on a renewed Lease for
  # liveness: without --node-lease-duration-seconds the node controller marks the node and its
  # pods NotReady after its 50 s grace period.
  launch kwok --kubeconfig "$KUBECONFIG_FILE" "${stages[@]}" --manage-all-nodes=true --node-lease-duration-seconds 40 \
    --server-address "127.0.0.1:$KWOK_PORT"
  node_manifest | kubectl apply -f - >/dev/null
  wait_for 60 "node $NODE" kubectl wait --for=condition=Ready "node/$NODE" --timeout=1s
  wait_for 60 "the default ServiceAccount" kubectl get serviceaccount default -n default
  echo "    cluster ready: KUBECONFIG=$KUBECONFIG_FILE (API server https://127.0.0.1:$API_PORT)"
}

stop() {
  local name pid i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do
    name=${COMPONENTS[i]}
    running "$name" || { rm -f "$DIR/pids/$name.pid"; continue; }
    pid=$(cat "$DIR/pids/$name.pid"); kill "$pid"
    wait_for 30 "$name to stop" bash -c "! kill -0 $pid" || kill -9 "$pid"
    rm -f "$DIR/pids/$name.pid"
  done
  echo "    cluster stopped ($DIR kept)"
}

status() {
  local rc=0 name
  for name in "${COMPONENTS[@]}"; do
    if running "$name"; then echo "    $name: running (pid $(cat "$DIR/pids/$name.pid"))"; else echo "    $name: stopped"; rc=1; fi
  done
  if [ -f "$KUBECONFIG_FILE" ] && kubectl get --raw /readyz >/dev/null 2>&1; then echo "    API server: ready"; else echo "    API server: not answering"; rc=1; fi
  return "$rc"
}

case "$CMD" in
  start) step "local kubernetes control plane" start || { rc=$?; stop >&2; exit "$rc"; } ;;
  stop) stop ;;
  status) status ;;
  kubeconfig) echo "$KUBECONFIG_FILE" ;;
  -h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
