#!/bin/bash
# The node's entrypoint (scripts/kube-node.sh up): one container runs a whole single-node
# cluster, etcd, kube-apiserver, kube-controller-manager and kube-scheduler (the project's
# toolchain), containerd + runc + kubelet + kube-proxy. Logs: /var/log/kube-node/.
#
# The container is not --privileged: this machine's capability bounding set lacks
# CAP_SYS_RESOURCE, and Docker's --privileged asks for every capability and fails. It runs
# with all capabilities but that one, unconfined seccomp/AppArmor/system paths, every device
# allowed, /dev/kmsg and a private cgroup namespace, and fixes up the rest below.
set -euo pipefail
log() { echo "[entrypoint $(date -u +%T)] $*"; }
NODE_NAME=${NODE_NAME:?NODE_NAME must be set}
NODE_IP=${NODE_IP:?NODE_IP must be set}
BIN=/opt/kube-node/bin ETC=/opt/kube-node/etc PKI=/etc/kubernetes/pki LOGS=/var/log/kube-node
export PATH=$BIN:$PATH
mkdir -p $LOGS /etc/containerd /etc/cni/net.d /etc/kubernetes

# --- mounts --------------------------------------------------------------------------
# Without --privileged, /sys and the cgroup hierarchies come read-only; CAP_SYS_ADMIN lets
# the node remount them read-write (kubelet and runc create cgroups, kube-proxy reads /sys).
mount -o remount,rw /sys
mount -o remount,rw /sys/fs/cgroup
# The per-mount flag only (MS_REMOUNT|MS_BIND): a plain remount of a v1 hierarchy is EBUSY.
for s in $(findmnt -lun -o target -t cgroup,cgroup2); do mount -o remount,bind,rw "$s"; done
# containerd's mounts must propagate into the pods (volumes, /var/lib/kubelet).
mount --make-rshared /
[ -e /dev/kmsg ] || ln -s /dev/console /dev/kmsg

# --- kernel tunables ----------------------------------------------------------------
# kubelet's setupKernelTunables WRITES these (un-namespaced: the whole machine's) unless
# they already hold its values. A file with kubelet's value is bind-mounted over each entry
# that differs, in this container's mount namespace only: kubelet reads its value and the
# host keeps its own.
mkdir -p /run/node-sysctl
for kv in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1 \
          kernel/keys/root_maxkeys=1000000 kernel/keys/root_maxbytes=25000000; do
  k=${kv%=*} v=${kv#*=}
  h=$(cat "/proc/sys/$k")
  if [ "$h" != "$v" ]; then
    f=/run/node-sysctl/${k//\//.}; echo "$v" > "$f"; mount --bind "$f" "/proc/sys/$k"
    log "sysctl $k: the host keeps $h, kubelet reads $v"
  fi
done

# --- cgroups -------------------------------------------------------------------------
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  log "cgroup v2: the private cgroup namespace is all it takes"
else
  # cgroup v1: the container's cgroup namespace must be private (its root is "/"), then each
  # hierarchy gets a kubelet/ child bind-mounted over itself for kubelet's cgroupRoot.
  cur=$(grep -E '^[^:]*:([^:]*,)?cpu(,[^,:]*)?:.*' /proc/self/cgroup | cut -d: -f3)
  [ "$cur" = "/" ] || { log "cgroup v1 without a private cgroup namespace (cpu cgroup $cur): run with --cgroupns=private"; exit 1; }
  log "cgroup v1 with a private cgroup namespace"
  # runc cannot join the misc hierarchy from a cgroup namespace; nothing uses it.
  if [ -d /sys/fs/cgroup/misc ]; then umount /sys/fs/cgroup/misc || true; rmdir /sys/fs/cgroup/misc || true; fi
  mount --make-rprivate /sys/fs/cgroup
  for s in $(findmnt -lun -o target -t cgroup); do
    mkdir -p "$s/kubelet"
    if [ "$s" = /sys/fs/cgroup/cpuset ]; then
      cat "$s/cpuset.cpus" > "$s/kubelet/cpuset.cpus"; cat "$s/cpuset.mems" > "$s/kubelet/cpuset.mems"
    fi
    mount --bind "$s/kubelet" "$s/kubelet"
  done
fi

# --- configuration ------------------------------------------------------------------
cp $ETC/containerd-config.toml /etc/containerd/config.toml
cp $ETC/10-litellm-gateway.conflist /etc/cni/net.d/
cp $ETC/kubelet-config.yaml /etc/kubernetes/kubelet-config.yaml
sed "s/@NODE_NAME@/$NODE_NAME/" $ETC/kube-proxy-config.yaml > /etc/kubernetes/kube-proxy-config.yaml

wait_for() { # SECONDS WHAT COMMAND...
  local n=$1 what=$2 i; shift 2
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  log "$what not ready after $n s"; return 1
}
start() { # NAME ARGS...: in the background, logging to $LOGS/NAME.log
  local name=$1; shift
  log "starting $name"
  "$name" "$@" > "$LOGS/$name.log" 2>&1 &
}

start containerd --config /etc/containerd/config.toml
wait_for 60 containerd ctr version
# (ctr repeats containerd's notice that cgroup v1 is deprecated on every call)
for t in /opt/kube-node/images/*.tar; do ctr -n k8s.io images import --local "$t" 2>&1 >/dev/null | { grep -v DEPRECATION || true; } >&2; done

start etcd --name node --data-dir /var/lib/etcd --unsafe-no-fsync \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster node=http://127.0.0.1:2380
# Listens on the node's address: the host reaches it there, on the project's Docker network.
start kube-apiserver --etcd-servers http://127.0.0.1:2379 \
  --bind-address 0.0.0.0 --advertise-address "$NODE_IP" --secure-port 6443 \
  --service-cluster-ip-range 10.96.0.0/16 \
  --tls-cert-file $PKI/apiserver.crt --tls-private-key-file $PKI/apiserver.key \
  --client-ca-file $PKI/ca.crt --authorization-mode Node,RBAC \
  --kubelet-client-certificate $PKI/admin.crt --kubelet-client-key $PKI/admin.key \
  --kubelet-preferred-address-types InternalIP \
  --service-account-key-file $PKI/sa.pub --service-account-signing-key-file $PKI/sa.key \
  --service-account-issuer https://kubernetes.default.svc
KC=$PKI/admin.kubeconfig
wait_for 90 kube-apiserver kubectl --kubeconfig $KC get --raw /readyz
kc=(--kubeconfig "$KC" --authentication-kubeconfig "$KC" --authorization-kubeconfig "$KC"
    --leader-elect=false --bind-address 127.0.0.1)
start kube-controller-manager "${kc[@]}" --root-ca-file $PKI/ca.crt \
  --service-account-private-key-file $PKI/sa.key --use-service-account-credentials --controllers '*'
start kube-scheduler "${kc[@]}"
start kubelet --config /etc/kubernetes/kubelet-config.yaml --kubeconfig $PKI/kubelet.kubeconfig \
  --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" -v=1
start kube-proxy --config /etc/kubernetes/kube-proxy-config.yaml
log "node started; logs in $LOGS"
# The first component to exit stops the node: a half-running node is no use, and Docker
# then shows it as exited, its logs kept until `scripts/kube-node.sh down`.
set +e
wait -n
rc=$?
log "a component exited ($rc); stopping the node"
for f in "$LOGS"/*.log; do echo "--- $f"; tail -n 20 "$f"; done
exit 1
