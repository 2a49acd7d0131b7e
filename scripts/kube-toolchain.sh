#!/usr/bin/env bash
# Builds a local Kubernetes control plane and actionlint from Go modules (no release
# downloads): the prod stack's manifests are checked against a real API server. See --help.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

KUBE_VERSION=1.36.0
ETCD_VERSION=3.6.10
KWOK_VERSION=0.8.0
ACTIONLINT_VERSION=1.7.12

KUBE_DIR="$CACHE/toolchain/kube-v$KUBE_VERSION"
ACTIONLINT_DIR="$CACHE/toolchain/actionlint-v$ACTIONLINT_VERSION"
KUBE_BINARIES=(etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kwok)

usage() {
  cat <<EOF
Usage: scripts/kube-toolchain.sh [all|control-plane|kwok|actionlint]
       scripts/kube-toolchain.sh --print-path [actionlint]
       scripts/kube-toolchain.sh --write-wrapper DIR
       scripts/kube-toolchain.sh --help

Builds from Go modules, each part skipped when its binaries exist (a second run takes
seconds):
  control-plane  etcd v$ETCD_VERSION, kube-apiserver, kube-controller-manager,
                 kube-scheduler and kubectl v$KUBE_VERSION, through a wrapper module that
                 pins k8s.io/kubernetes' staging modules to v0.${KUBE_VERSION#1.}
                 (about 20-40 min cold on 2 cores)
  kwok           kwok v$KWOK_VERSION (simulated nodes) and its stage files
  actionlint     actionlint v$ACTIONLINT_VERSION (lints .github/workflows)
  all            all of the above (default)

Output (outside the repository):
  $KUBE_DIR/bin/      ${KUBE_BINARIES[*]}
  $KUBE_DIR/stages/   kwok's node and pod stages
  $ACTIONLINT_DIR/bin/actionlint
--print-path prints the bin folder to put on PATH (the control plane's, or actionlint's).
--write-wrapper writes the wrapper module to DIR (scripts/kube-node.sh adds kubelet and
kube-proxy to it).

Environment: LITELLM_GATEWAY_CACHE (default \$HOME/.cache/litellm-gateway),
TOOLCHAIN_GO_P (go build -p, default 2). Uses GOTOOLCHAIN=local, CGO_ENABLED=0.
EOF
}

case "${1:-all}" in
  -h|--help) usage; exit 0 ;;
  --print-path) if [ "${2:-}" = actionlint ]; then echo "$ACTIONLINT_DIR/bin"; else echo "$KUBE_DIR/bin"; fi; exit 0 ;;
  all|control-plane|kwok|actionlint) TARGET="${1:-all}" ;;
  --write-wrapper) TARGET=wrapper; WRAPPER_DIR="${2:?--write-wrapper needs a folder}" ;;
  *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
esac

command -v go >/dev/null || { echo "go is required" >&2; exit 1; }
export GOTOOLCHAIN=local CGO_ENABLED=0
export GOMODCACHE="$CACHE/go/mod" GOCACHE="$CACHE/go/build"
export GOFLAGS="-mod=mod -buildvcs=false"
GO_P="${TOOLCHAIN_GO_P:-2}"

# The wrapper module: k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces
# them with folders that only exist in its own repository, so a consumer pins each one.
write_wrapper() {
  local dir=$1 kube_mod staging
  kube_mod=$(go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  staging=$(sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*#\1#p' "$kube_mod")
  mkdir -p "$dir/cmd/etcd"
  {
    echo "module litellm-gateway/kube-toolchain"
    echo
    echo "go 1.26.0"
    echo
    echo "require ("
    echo "	k8s.io/kubernetes v$KUBE_VERSION"
    echo "	go.etcd.io/etcd/server/v3 v$ETCD_VERSION"
    echo ")"
    echo
    echo "replace ("
    for m in $staging; do echo "	$m => $m v0.${KUBE_VERSION#1.}"; done
    echo ")"
    echo
    echo "tool ("
    for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
      echo "	k8s.io/kubernetes/cmd/$c"
    done
    echo ")"
  } > "$dir/go.mod"
  # etcd's own main package lives in a module with a `replace => ../api`; its entry point
  # is a library function, so a three-line main builds it through this wrapper.
  cat > "$dir/cmd/etcd/main.go" <<'GO'
// Command etcd is etcd's server, built through this wrapper module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
}

build_control_plane() {
  if all_present "$KUBE_DIR/bin" etcd kube-apiserver kube-controller-manager kube-scheduler kubectl; then
    echo "    control plane v$KUBE_VERSION already built in $KUBE_DIR/bin"; return 0
  fi
  local dir="$CACHE/work/kube-v$KUBE_VERSION" ld
  ld=$(kube_version_ldflags "$KUBE_VERSION")
  rm -rf "$dir"; write_wrapper "$dir"
  ( cd "$dir" && go mod tidy && mkdir -p "$KUBE_DIR/bin" &&
    go build -p "$GO_P" -trimpath -ldflags "-s -w$ld" -o "$KUBE_DIR/bin/" \
      ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl )
  "$KUBE_DIR/bin/kube-apiserver" --version
  "$KUBE_DIR/bin/etcd" --version | sed -n 1p  # sed reads it all: head would SIGPIPE etcd (exit 141 under pipefail)
}

build_kwok() {
  if all_present "$KUBE_DIR/bin" kwok && [ -d "$KUBE_DIR/stages" ]; then
    echo "    kwok v$KWOK_VERSION already built"; return 0
  fi
  mkdir -p "$KUBE_DIR/bin" "$KUBE_DIR/stages"
  GOBIN="$KUBE_DIR/bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  # Since kwok v0.8 nothing happens without stages: a node comes up and keeps its lease;
  # pods become ready, Job pods complete, deleted pods go away.
  local src="$GOMODCACHE/sigs.k8s.io/kwok@v$KWOK_VERSION/kustomize/stage"
  cp "$src/node/fast/node-initialize.yaml" "$src/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
     "$src/pod/fast/pod-ready.yaml" "$src/pod/fast/pod-complete.yaml" "$src/pod/fast/pod-delete.yaml" \
     "$KUBE_DIR/stages/"
  chmod u+w "$KUBE_DIR/stages/"*
}

build_actionlint() {
  if all_present "$ACTIONLINT_DIR/bin" actionlint; then
    echo "    actionlint v$ACTIONLINT_VERSION already built"; return 0
  fi
  mkdir -p "$ACTIONLINT_DIR/bin"
  GOBIN="$ACTIONLINT_DIR/bin" go install -trimpath -ldflags "-s -w" \
    "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION"
}

case "$TARGET" in
  wrapper) write_wrapper "$WRAPPER_DIR" ;;
  control-plane) step "kubernetes control plane v$KUBE_VERSION" build_control_plane ;;
  kwok) step "kwok v$KWOK_VERSION" build_kwok ;;
  actionlint) step "actionlint v$ACTIONLINT_VERSION" build_actionlint ;;
  all)
    step "actionlint v$ACTIONLINT_VERSION" build_actionlint
    step "kwok v$KWOK_VERSION" build_kwok
    step "kubernetes control plane v$KUBE_VERSION" build_control_plane ;;
esac
