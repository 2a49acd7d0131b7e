#!/usr/bin/env bash
# A real single-node Kubernetes cluster in one Docker container: containerd, runc, kubelet,
# kube-proxy and CoreDNS built from Go modules, the control plane from scripts/kube-toolchain.sh.
# Its pods really run (unlike kwok's, scripts/kube-cluster.sh). See --help.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KUBE_VERSION=1.36.0
CONTAINERD_VERSION=2.3.7
RUNC_VERSION=1.5.2
PAUSE_VERSION=3.10.2
COREDNS_VERSION=1.14.7
# What the node needs from Debian (and their dependencies), installed into the image offline.
NODE_PACKAGES=(iptables conntrack iproute2 procps containernetworking-plugins)

NODE_DIR="$CACHE/toolchain/kube-node-v$KUBE_VERSION-containerd$CONTAINERD_VERSION-runc$RUNC_VERSION-coredns$COREDNS_VERSION"
WORK="$CACHE/work/kube-node"
NODE_BINARIES=(containerd ctr containerd-shim-runc-v2 runc kubelet kube-proxy)
CONTROL_PLANE=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl)
PAUSE_IMAGE="litellm-gateway/pause:$PAUSE_VERSION"
COREDNS_IMAGE="litellm-gateway/coredns:$COREDNS_VERSION"
NAME=lg-kube-node
SUBNET=10.213.0.0/24
UP_TIMEOUT="${KUBE_NODE_TIMEOUT:-180}"

usage() {
  cat <<EOF
Usage: scripts/kube-node.sh build
       scripts/kube-node.sh up [--name N] [--subnet CIDR] [IMAGE...]
       scripts/kube-node.sh load [--name N] IMAGE...
       scripts/kube-node.sh down|status|kubeconfig [--name N]
       scripts/kube-node.sh --help

A real single-node Kubernetes v$KUBE_VERSION cluster in one Docker container: etcd,
kube-apiserver, kube-controller-manager, kube-scheduler, containerd v$CONTAINERD_VERSION,
runc v$RUNC_VERSION, kubelet, kube-proxy and CoreDNS. Pods really run (runc, CNI bridge, memory and
CPU limits in cgroups), Services work (kube-proxy's iptables). Nothing is pulled: images
come from the local Docker engine with \`load\`.

  build       build everything, each part skipped when built (a second run takes seconds):
              containerd, ctr, the runc shim and runc (libseccomp's headers from Debian's
              libseccomp-dev, unpacked, not installed), kubelet and kube-proxy (through the
              wrapper module of scripts/kube-toolchain.sh, which builds the control plane),
              a static pause, CoreDNS v$COREDNS_VERSION with only the plugins cluster DNS needs
              (no forward: toolchain/kube-node/coredns/main.go), the .deb files the Debian
              base lacks for ${NODE_PACKAGES[*]},
              and the images $PAUSE_IMAGE, $COREDNS_IMAGE and
              litellm-gateway/kube-node:<tag> (from the project's Debian base)
  up          build if needed, create the internal Docker network N-net (CIDR, default
              $SUBNET; the node is its .10), certificates (openssl), start the node
              container N (default $NAME), wait until the Node is Ready (bounded:
              KUBE_NODE_TIMEOUT, default $UP_TIMEOUT s), start the cluster DNS add-on (CoreDNS
              at 10.96.0.10, names in cluster.local only) and load IMAGE... into it; prints the
              kubeconfig's path. A running node that is Ready is reused; one
              that does not come up is removed again, after its logs are printed.
  load        docker save IMAGE... | ctr import into the node (pods use imagePullPolicy Never
              or IfNotPresent)
  down        remove the container, its volumes, the network and the node's folder
  status      the container, the API server and the Node's Ready condition; exit 0 only
              when all are fine
  kubeconfig  print the path of the node's admin kubeconfig

The host reaches the API server at the node's address on the network (https://<.10>:6443);
the network is --internal, so nothing in the node reaches beyond it.

Docker's --privileged fails on this machine (no CAP_SYS_RESOURCE in the bounding set), so the
node runs with every other capability, unconfined seccomp/AppArmor/system paths, all devices
and a private cgroup namespace; its entrypoint remounts /sys and the cgroups read-write and
overlays the host-wide sysctls kubelet would write (toolchain/kube-node/entrypoint.sh).

Output: $NODE_DIR/{bin,debs}/,
\$CACHE/kube-node/<N>/ (pki/, admin.kubeconfig). Environment: LITELLM_GATEWAY_CACHE
(default \$HOME/.cache/litellm-gateway), TOOLCHAIN_GO_P (go build -p, default 2).
EOF
}

CMD="${1:-}"; shift || true
IMAGES=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name) NAME="$2"; shift 2 ;;
    --subnet) SUBNET="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
    *) IMAGES+=("$1"); shift ;;
  esac
done
NETWORK="$NAME-net"
STATE="$CACHE/kube-node/$NAME"
PKI="$STATE/pki"; KUBECONFIG_FILE="$STATE/admin.kubeconfig"
KUBE_BIN="$("$ROOT/scripts/kube-toolchain.sh" --print-path)"
BASE_IMAGE=$(sed -n 's/^BASE_IMAGE=//p' "$ROOT/images/versions.env")
# The node image's tag follows its inputs: a changed config or version builds a new image.
NODE_IMAGE="litellm-gateway/kube-node:$KUBE_VERSION-$( { find "$ROOT/toolchain/kube-node" -type f | sort | xargs cat
  echo "$BASE_IMAGE $CONTAINERD_VERSION $RUNC_VERSION $PAUSE_VERSION $COREDNS_VERSION ${NODE_PACKAGES[*]}"; } | sha256sum | cut -c1-12)"

go_env() {
  command -v go >/dev/null || { echo "go is required" >&2; return 1; }
  export GOTOOLCHAIN=local GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build" GOFLAGS="-buildvcs=false"
  GO_P="${TOOLCHAIN_GO_P:-2}"
}

build_containerd() {
  if all_present "$NODE_DIR/bin" containerd ctr containerd-shim-runc-v2; then
    echo "    containerd v$CONTAINERD_VERSION already built"; return 0
  fi
  go_env; mkdir -p "$NODE_DIR/bin"
  local m=github.com/containerd/containerd/v2
  # The snapshotters of other file systems are left out: the node's is overlayfs.
  CGO_ENABLED=0 GOBIN="$NODE_DIR/bin" go install -p "$GO_P" -trimpath -tags "no_devmapper,no_zfs,no_btrfs" \
    -ldflags "-s -w -X $m/version.Version=v$CONTAINERD_VERSION" \
    "$m/cmd/containerd@v$CONTAINERD_VERSION" "$m/cmd/ctr@v$CONTAINERD_VERSION" \
    "$m/cmd/containerd-shim-runc-v2@v$CONTAINERD_VERSION"
  "$NODE_DIR/bin/containerd" --version
}

build_runc() {
  if all_present "$NODE_DIR/bin" runc; then echo "    runc v$RUNC_VERSION already built"; return 0; fi
  go_env; mkdir -p "$NODE_DIR/bin"
  # runc's seccomp support links libseccomp: its headers and static library come from
  # Debian's libseccomp-dev, unpacked into the work folder (nothing installed on the host).
  local dev="$WORK/libseccomp-dev"
  if [ ! -f "$dev/usr/include/seccomp.h" ]; then
    rm -rf "$dev"; mkdir -p "$dev"
    (cd "$dev" && apt-get download -o APT::Sandbox::User="$(id -un)" libseccomp-dev >/dev/null && dpkg-deb -x libseccomp-dev_*.deb .)
  fi
  CGO_ENABLED=1 CGO_CFLAGS="-I$dev/usr/include" CGO_LDFLAGS="-L$dev/usr/lib/x86_64-linux-gnu" \
    PKG_CONFIG_PATH="$dev/usr/lib/x86_64-linux-gnu/pkgconfig" GOBIN="$NODE_DIR/bin" \
    go install -p "$GO_P" -trimpath -tags "seccomp urfave_cli_no_docs netgo osusergo" \
    -ldflags "-s -w -X main.version=$RUNC_VERSION -extldflags -static" \
    "github.com/opencontainers/runc@v$RUNC_VERSION"
  "$NODE_DIR/bin/runc" --version | sed -n 1p
}

build_kubelet() {
  if all_present "$NODE_DIR/bin" kubelet kube-proxy; then
    echo "    kubelet and kube-proxy v$KUBE_VERSION already built"; return 0
  fi
  go_env; mkdir -p "$NODE_DIR/bin"
  # A copy of the control plane's wrapper module (its go.sum too, when the control plane was
  # built here), with kubelet and kube-proxy added as tools.
  local dir="$WORK/kube-wrapper" ld
  ld=$(kube_version_ldflags "$KUBE_VERSION")
  rm -rf "$dir"; "$ROOT/scripts/kube-toolchain.sh" --write-wrapper "$dir"
  [ -f "$CACHE/work/kube-v$KUBE_VERSION/go.sum" ] && cp "$CACHE/work/kube-v$KUBE_VERSION/go.sum" "$dir/"
  ( cd "$dir" && go mod edit -tool k8s.io/kubernetes/cmd/kubelet -tool k8s.io/kubernetes/cmd/kube-proxy &&
    CGO_ENABLED=0 GOFLAGS="$GOFLAGS -mod=mod" go build -p "$GO_P" -trimpath -ldflags "-s -w$ld" -o "$NODE_DIR/bin/" \
      k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy )
  "$NODE_DIR/bin/kubelet" --version
}

build_pause() {
  if all_present "$NODE_DIR/bin" pause; then echo "    pause $PAUSE_VERSION already built"; return 0; fi
  go_env; mkdir -p "$NODE_DIR/bin"
  # The pause container's C source ships in the k8s.io/kubernetes module; built the way its
  # build/pause/Makefile does (static, -Os).
  local src; src=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-litellm-gateway" \
    -o "$NODE_DIR/bin/pause" "$src/build/pause/linux/pause.c"
  strip "$NODE_DIR/bin/pause"
}

build_coredns() {
  if all_present "$NODE_DIR/bin" coredns; then echo "    coredns v$COREDNS_VERSION already built"; return 0; fi
  go_env; mkdir -p "$NODE_DIR/bin"
  # A main package of our own (toolchain/kube-node/coredns/main.go) with a trimmed plugin list.
  local dir="$WORK/coredns"
  rm -rf "$dir"; mkdir -p "$dir"
  cp "$ROOT/toolchain/kube-node/coredns/main.go" "$dir/"
  printf 'module litellm-gateway/coredns\n\ngo 1.26.0\n\nrequire github.com/coredns/coredns v%s\n' "$COREDNS_VERSION" > "$dir/go.mod"
  ( cd "$dir" && CGO_ENABLED=0 GOFLAGS="$GOFLAGS -mod=mod" go build -p "$GO_P" -trimpath -ldflags "-s -w" -o "$NODE_DIR/bin/coredns" . )
  "$NODE_DIR/bin/coredns" -version | sed -n 1p
}

build_debs() {
  if [ -f "$NODE_DIR/debs/.complete" ]; then echo "    .deb files already downloaded"; return 0; fi
  image_exists "$BASE_IMAGE" || "$ROOT/scripts/images.sh" base || return 1
  rm -rf "$NODE_DIR/debs"; mkdir -p "$NODE_DIR/debs"
  # What apt would install into the base image: the host's apt resolves against the base's
  # own dpkg status, so only the missing packages (and one choice of each alternative) come.
  local status="$NODE_DIR/debs/base.status" wanted
  docker run --rm --entrypoint cat "$BASE_IMAGE" /var/lib/dpkg/status > "$status" || return 1
  wanted=$(apt-get install --simulate --no-install-recommends -o Dir::State::status="$status" \
    "${NODE_PACKAGES[@]}" | sed -n 's/^Inst \([^ ]*\) .*/\1/p') || return 1
  # shellcheck disable=SC2086
  (cd "$NODE_DIR/debs" && apt-get download -o APT::Sandbox::User="$(id -un)" $wanted >/dev/null) || return 1
  rm -f "$status"; touch "$NODE_DIR/debs/.complete"
  echo "    $(wc -w <<<"$wanted") packages: $(tr '\n' ' ' <<<"$wanted")"
}

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

build_images() {
  if image_exists "$PAUSE_IMAGE" && image_exists "$COREDNS_IMAGE" && image_exists "$NODE_IMAGE"; then
    echo "    $PAUSE_IMAGE, $COREDNS_IMAGE and $NODE_IMAGE already built"; return 0
  fi
  # (step runs this in an `if`, where set -e does not hold: each failure returns by hand)
  local ctx="$WORK/context" b
  rm -rf "$ctx"; mkdir -p "$ctx/bin" "$ctx/etc" "$ctx/images"
  # Two images of one static binary each, saved into the node image: its entrypoint imports
  # them into containerd before kubelet starts.
  scratch_image pause 65535 "$PAUSE_IMAGE" || return 1
  scratch_image coredns 65532 "$COREDNS_IMAGE" || return 1
  for b in "${NODE_BINARIES[@]}"; do cp "$NODE_DIR/bin/$b" "$ctx/bin/" || return 1; done
  for b in "${CONTROL_PLANE[@]}"; do cp "$KUBE_BIN/$b" "$ctx/bin/" || return 1; done
  mkdir -p "$ctx/debs" && cp "$NODE_DIR/debs/"*.deb "$ctx/debs/" || return 1
  cp "$ROOT/toolchain/kube-node/Dockerfile" "$ROOT/toolchain/kube-node/entrypoint.sh" "$ctx/"
  cp "$ROOT/toolchain/kube-node/"*-config.yaml "$ROOT/toolchain/kube-node/"*.conflist "$ctx/etc/"
  sed "s#@PAUSE_IMAGE@#$PAUSE_IMAGE#" "$ROOT/toolchain/kube-node/containerd-config.toml" > "$ctx/etc/containerd-config.toml"
  docker_build "$ctx" --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$NODE_IMAGE" || return 1
  rm -rf "$ctx"
  echo "    built $PAUSE_IMAGE, $COREDNS_IMAGE and $NODE_IMAGE"
}

scratch_image() { # BINARY UID TAG: FROM scratch, the binary as its entrypoint, saved to images/
  local dir="$ctx/$1"
  mkdir -p "$dir" && cp "$NODE_DIR/bin/$1" "$dir/" || return 1
  printf '%s\n' "FROM scratch" "COPY $1 /$1" "USER $2:$2" "ENTRYPOINT [\"/$1\"]" > "$dir/Dockerfile"
  docker_build "$dir" -t "$3" && docker save "$3" -o "$ctx/images/$1.tar"
}

docker_build() { # CONTEXT ARGS...: its output in the work folder, the tail shown on failure
  local ctx=$1; shift
  docker build --force-rm "$@" "$ctx" > "$WORK/docker-build.log" 2>&1 || { tail -n 30 "$WORK/docker-build.log" >&2; return 1; }
}

build() {
  # Chained: `up` runs this inside step's `if`, where set -e does not hold.
  "$ROOT/scripts/kube-toolchain.sh" control-plane &&
  step "containerd v$CONTAINERD_VERSION" build_containerd &&
  step "runc v$RUNC_VERSION" build_runc &&
  step "kubelet and kube-proxy v$KUBE_VERSION" build_kubelet &&
  step "pause $PAUSE_VERSION" build_pause &&
  step "coredns v$COREDNS_VERSION" build_coredns &&
  step "node packages (.deb)" build_debs &&
  step "node images" build_images
}

# --- the node ----------------------------------------------------------------------

# The node's address: .10 of the network's subnet.
node_ip() {
  local subnet; subnet=$(docker network inspect "$NETWORK" --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}')
  local base=${subnet%/*}; echo "${base%.*}.10"
}

kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" --request-timeout 5s "$@"; }

certificates() { # NODE_IP
  local ip=$1
  [ -f "$PKI/kubelet.crt" ] && [ "$(cat "$STATE/node-ip" 2>/dev/null)" = "$ip" ] && return 0
  rm -rf "$PKI"; mkdir -p "$STATE"; echo "$ip" > "$STATE/node-ip"
  pki_ca "$PKI" litellm-gateway-node-ca
  pki_sign "$PKI" apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$ip,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  pki_sign "$PKI" admin "/O=system:masters/CN=admin"
  pki_sign "$PKI" kubelet "/O=system:nodes/CN=system:node:$NAME" "IP:$ip,DNS:$NAME"
  # Inside the node its components reach the API server on 127.0.0.1, the folder mounted at
  # /etc/kubernetes/pki; the host at the node's address.
  kubeconfig_of "$NAME" https://127.0.0.1:6443 /etc/kubernetes/pki admin > "$PKI/admin.kubeconfig"
  kubeconfig_of "$NAME" https://127.0.0.1:6443 /etc/kubernetes/pki kubelet > "$PKI/kubelet.kubeconfig"
  kubeconfig_of "$NAME" "https://$ip:6443" "$PKI" admin > "$KUBECONFIG_FILE"
}

container_running() { [ "$(docker inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" = true ]; }

node_ready() {
  [ "$(kubectl get node "$NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

node_logs() { # the container's output and the tail of each component's log
  echo "--- docker logs $NAME (tail)"; docker logs --tail 30 "$NAME" 2>&1 || true
  docker exec "$NAME" sh -c 'for f in /var/log/kube-node/*.log; do echo "--- $f (tail)"; tail -n 15 "$f"; done' 2>/dev/null || true
}

wait_for() { # SECONDS WHAT COMMAND...: polls COMMAND once a second; on time out, the node's logs
  local limit=$1 what=$2 i; shift 2
  for ((i = 0; i < limit; i++)); do
    "$@" >/dev/null 2>&1 && return 0
    container_running || { echo "==> the node container $NAME stopped while waiting for $what" >&2; node_logs >&2; return 1; }
    sleep 1
  done
  echo "==> $what not ready after $limit s" >&2; node_logs >&2
  return 1
}

up() {
  if container_running && [ -f "$KUBECONFIG_FILE" ] && node_ready; then
    echo "    node $NAME already running and Ready: reused"
  else
    [ -n "$(docker ps -aq --filter "name=^$NAME\$")" ] && { echo "    removing the unhealthy node $NAME"; down >/dev/null; }
    # (inside step's `if`, where set -e does not hold: each failure returns by hand)
    build >/dev/null || return 1
    docker network inspect "$NETWORK" >/dev/null 2>&1 || \
      docker network create --internal --subnet "$SUBNET" --label litellm-gateway.kube-node="$NAME" "$NETWORK" >/dev/null || return 1
    local ip; ip=$(node_ip) || return 1
    certificates "$ip" || return 1
    # Volumes for containerd's and kubelet's state: overlayfs snapshots cannot live on the
    # container's own overlay root. Anonymous: `docker rm -v` removes them with the node.
    docker run -d --name "$NAME" --hostname "$NAME" --label litellm-gateway.kube-node="$NAME" \
      --cap-add ALL --cap-drop SYS_RESOURCE \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
      --device-cgroup-rule 'a *:* rwm' --device /dev/kmsg --cgroupns=private \
      --network "$NETWORK" --ip "$ip" -e NODE_NAME="$NAME" -e NODE_IP="$ip" \
      --tmpfs /run:exec,mode=755 --tmpfs /tmp:exec \
      -v /var/lib/containerd -v /var/lib/kubelet -v /var/lib/etcd \
      -v "$PKI:/etc/kubernetes/pki:ro" "$NODE_IMAGE" >/dev/null || return 1
    wait_for "$UP_TIMEOUT" "the API server" kubectl get --raw /readyz || return 1
    wait_for "$UP_TIMEOUT" "node $NAME" node_ready || return 1
    wait_for 60 "the default ServiceAccount" kubectl get serviceaccount default -n default || return 1
    sed "s#@COREDNS_IMAGE@#$COREDNS_IMAGE#" "$ROOT/toolchain/kube-node/coredns.yaml" | kubectl apply -f - >/dev/null || return 1
    wait_for 120 "the cluster DNS (CoreDNS)" kubectl -n kube-system rollout status deployment/coredns --timeout=1s || return 1
  fi
  [ ${#IMAGES[@]} -eq 0 ] || load || return 1
  echo "    node $NAME Ready: KUBECONFIG=$KUBECONFIG_FILE"
}

load() {
  [ ${#IMAGES[@]} -gt 0 ] || { echo "load: name at least one image" >&2; return 2; }
  container_running || { echo "load: the node $NAME is not running (scripts/kube-node.sh up)" >&2; return 1; }
  local image err
  for image in "${IMAGES[@]}"; do
    # (what ctr says on success is containerd's notice that cgroup v1 is deprecated)
    err=$(docker save "$image" | docker exec -i "$NAME" ctr -n k8s.io images import --local - 2>&1 >/dev/null) \
      || { echo "load: $image could not be loaded into $NAME: $err" >&2; return 1; }
    echo "    loaded $image"
  done
}

down() {
  docker rm -f -v "$NAME" >/dev/null 2>&1 || true
  docker network rm "$NETWORK" >/dev/null 2>&1 || true
  rm -rf "$STATE"
  echo "    node $NAME removed (container, volumes, network $NETWORK, $STATE)"
}

status() {
  local rc=0
  if container_running; then echo "    container $NAME: running ($NODE_IMAGE)"; else echo "    container $NAME: not running"; rc=1; fi
  if [ -f "$KUBECONFIG_FILE" ] && kubectl get --raw /readyz >/dev/null 2>&1; then echo "    API server: ready"; else echo "    API server: not answering"; rc=1; fi
  if [ "$rc" -eq 0 ] && node_ready; then echo "    node $NAME: Ready"; else echo "    node $NAME: not Ready"; rc=1; fi
  return "$rc"
}

case "$CMD" in
  build) step "kubernetes node v$KUBE_VERSION" build ;;
  # A node that failed to come up is removed again (its logs were printed).
  up) step "kubernetes node $NAME" up || { rc=$?; down >&2; exit "$rc"; } ;;
  load) load ;;
  down) down ;;
  status) status ;;
  kubeconfig) echo "$KUBECONFIG_FILE" ;;
  -h|--help) usage ;;
  *) usage >&2; exit 2 ;;
esac
