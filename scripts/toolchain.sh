#!/usr/bin/env bash
# Builds the Pulumi CLI, the Python language host and the resource providers
# from Go modules (no release downloads). See --help.
set -euo pipefail

PULUMI_VERSION=3.259.0
RANDOM_VERSION=4.21.1
DOCKER_VERSION=5.1.0
KUBERNETES_VERSION=4.25.0

# Module versions (pseudo-versions at the release commits; see shared/TOOLCHAIN.md).
# Overridable for testing other commits: TOOLCHAIN_<NAME>_MODULE_VERSION.
# Last Pulumi release whose sdk/v3 module still contains the Python language host (from
# v3.80.0 on it is a module of its own, which the module proxy does not serve).
PYHOST_SDK=v3.79.0
CLIPBOARD_REPLACE='github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e'
K8S_MOD=github.com/pulumi/pulumi-kubernetes/provider/v4
# The one provider module version the module proxy serves: v4.25.0's commit before its tag.
K8S_MODVER="${TOOLCHAIN_KUBERNETES_MODULE_VERSION:-v4.0.0-20260115033456-f47bc2d6f199}"
K8S_SDK_MOD=github.com/pulumi/pulumi-kubernetes/sdk/v4
K8S_SDK_MODVER="${TOOLCHAIN_KUBERNETES_SDK_MODULE_VERSION:-v$KUBERNETES_VERSION}"

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${LITELLM_GATEWAY_CACHE:-$HOME/.cache/litellm-gateway}"
TC="$CACHE/toolchain"
WORK="$CACHE/work"
CLI_BIN="$TC/pulumi-v$PULUMI_VERSION/bin"
PLUGIN_DIR="${PULUMI_HOME:-$HOME/.pulumi}/plugins"

usage() {
  cat <<EOF
Usage: scripts/toolchain.sh [all|cli|pyhost|random|docker|kubernetes]
       scripts/toolchain.sh --print-path
       scripts/toolchain.sh --help

Builds (from Go modules: this machine reaches package registries only, no
release downloads) or assembles the toolchain the project's Pulumi program needs:
  cli         Pulumi CLI v$PULUMI_VERSION with, in the same folder,
              pulumi-language-python-exec, pulumi-resource-pulumi-python and
              the Python language host (step pyhost)
  pyhost      the Python language host alone: v3.79.0's (the newest the module
              proxy serves) with a build-time patch so CLI v$PULUMI_VERSION can
              start Python policy packs (toolchain/pyhost/); it ignores
              Pulumi.yaml's virtualenv: put the project's .venv first on PATH
  random      pulumi-resource-random $RANDOM_VERSION: the project's Python stand-in
              (toolchain/random/README.md; RandomPassword only), unless the plugin
              cache already holds a random $RANDOM_VERSION that is not the stand-in
              (e.g. the official one), which is then used and never replaced
  docker      pulumi-resource-docker $DOCKER_VERSION from the terraform bridge and
              the upstream kreuzwerker provider, with our mapping (toolchain/docker/)
  kubernetes  pulumi-resource-kubernetes $KUBERNETES_VERSION (the one provider
              module version served: v4.25.0's commit before its tag)
  all         all of the above, in that order (default); a failed step does
              not stop the later ones, the exit status is 1 if any failed
Each provider is then installed into the Pulumi plugin cache
(pulumi plugin install resource NAME VERSION -f BINARY_OR_FOLDER), so pulumi finds
it without it being on PATH. A provider already in the plugin cache at the
right version (e.g. the official one, installed the ordinary way) is used and
never rebuilt.

If a 'pulumi' on PATH reports exactly v$PULUMI_VERSION it is used instead of
building the CLI (linked into the bin folder below; its own language host is
used when it sits beside it, else one is built). Every step skips itself when
its output exists: a second run takes seconds.

Cache (outside the repository): \${LITELLM_GATEWAY_CACHE:-\$HOME/.cache/litellm-gateway}
  toolchain/pulumi-v$PULUMI_VERSION/bin/   pulumi, pulumi-language-python(-exec), ...
  toolchain/<provider>-<version>/bin/      pulumi-resource-<name> (docker, kubernetes)
  toolchain/random-$RANDOM_VERSION/              the stand-in plugin folder (launcher, code, venv/)
  toolchain/docker-$DOCKER_VERSION/schema.json, source.sha256   the schema embedded in the docker
                                           plugin; a change in toolchain/docker/ rebuilds it
  go/mod, go/build                         GOMODCACHE, GOCACHE
  work/                                    build work folders

Environment:
  LITELLM_GATEWAY_CACHE   cache root (default \$HOME/.cache/litellm-gateway)
  PULUMI_HOME             Pulumi's home with the plugin cache (default ~/.pulumi)
  GOSUMDB                 kept as is; set to 'off' (and said so) when the
                          checksum database cannot be reached. A module the
                          checksum database does not know is added to GONOSUMDB
                          (and said so).
  TOOLCHAIN_GO_P          go build -p (default 2)
  TOOLCHAIN_KUBERNETES_MODULE_VERSION, TOOLCHAIN_KUBERNETES_SDK_MODULE_VERSION
                          override the kubernetes provider's module versions

Needs: go (1.25+), python3 (the patch step and the stand-in's virtualenv). Uses GOTOOLCHAIN=local,
CGO_ENABLED=0, GOFLAGS=-mod=mod.

--print-path prints only the folder to put on PATH; for a caller:
  export PATH="\$(scripts/toolchain.sh --print-path):\$PATH"
EOF
}

TARGET=all
case "${1:-all}" in
  -h|--help) usage; exit 0 ;;
  --print-path) echo "$CLI_BIN"; exit 0 ;;
  all|cli|pyhost|random|docker|kubernetes) TARGET="${1:-all}" ;;
  *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
esac
[ $# -le 1 ] || { echo "too many arguments" >&2; exit 2; }

command -v go >/dev/null || { echo "go is required" >&2; exit 1; }
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOMODCACHE="$CACHE/go/mod"
export GOCACHE="$CACHE/go/build"
export GOFLAGS="-mod=mod -buildvcs=false"
export GONOSUMDB="${GONOSUMDB:-}"
GO_P="${TOOLCHAIN_GO_P:-2}"
mkdir -p "$TC" "$WORK" "$GOMODCACHE" "$GOCACHE"

T_ALL=$(date +%s)
FAILED=()
SUMMARY=()
step_start() { STEP_NAME="$1"; STEP_T0=$(date +%s); echo "==> step $STEP_NAME ..."; }
step_end() { # [note]
  local s=$(( $(date +%s) - STEP_T0 ))
  echo "==> step $STEP_NAME done in ${s}s${1:+ ($1)}"
  SUMMARY+=("$STEP_NAME: ${s}s${1:+ ($1)}")
}
step_fail() { # message
  local s=$(( $(date +%s) - STEP_T0 ))
  echo "==> step $STEP_NAME FAILED after ${s}s: $1" >&2
  SUMMARY+=("$STEP_NAME: FAILED after ${s}s")
  FAILED+=("$STEP_NAME")
}

# Hides registry host names in what go prints (logs must not name them).
redact() { sed -E -e 's#https?://[^/ ]+#<registry>#g' -e 's#sumdb/[^/ ]+#sumdb/<sumdb>#g'; }

# Prints the module that the checksum database does not know (404/410) in the
# go output $1, if any, that is not yet in GONOSUMDB.
sumdb_unknown() {
  local mod
  grep -qE '(404|410) (Not Found|Gone)' <<<"$1" || return 1
  mod=$(grep -oE '/lookup/[^@ ]+@' <<<"$1" | head -1 | sed -e 's|^/lookup/||' -e 's/@$//')
  [ -n "$mod" ] && [[ ",$GONOSUMDB," != *",$mod,"* ]] || return 1
  echo "$mod"
}
nosumdb() {
  export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}$1"
  echo "==> the checksum database does not know $1: added to GONOSUMDB" >&2
}

# Runs a go command; when it fails only because the checksum database does not
# know a module, adds that module to GONOSUMDB, says so, and retries.
gorun() {
  local log tries=0 mod
  log=$(mktemp)
  while :; do
    if { "$@" 2>&1 1>&3 | tee "$log" | redact >&2; } 3>&1; then rm -f "$log"; return 0; fi
    if [ $tries -lt 20 ] && mod=$(sumdb_unknown "$(cat "$log")"); then
      nosumdb "$mod"; tries=$((tries + 1)); continue
    fi
    rm -f "$log"; return 1
  done
}

check_sumdb() {
  if [ "${GOSUMDB:-}" = off ]; then echo "==> GOSUMDB=off (from the environment)"; return; fi
  local d; d=$(mktemp -d)
  if ! (cd "$d" && GOMODCACHE="$d/mod" GOFLAGS= go mod download \
        github.com/tgummerer/clipboard@v0.0.0-20241001131231-d02d263e614e) >"$d/log" 2>&1; then
    if grep -qiE 'sumdb|checksum|verifying' "$d/log"; then
      export GOSUMDB=off
      echo "==> the checksum database cannot be reached: GOSUMDB=off"
    fi
  fi
  chmod -R u+w "$d" 2>/dev/null || true; rm -rf "$d"
}

# Prints the module cache folder of module@version (downloading it), or fails.
mod_dir() {
  local out tries=0 mod
  while ! out=$(cd "$WORK" && GOFLAGS= gorun go mod download -json "$1"); do
    if [ $tries -lt 20 ] && mod=$(sumdb_unknown "$out"); then
      nosumdb "$mod"; tries=$((tries + 1)); continue
    fi
    sed -n 's/^\t"Error": "\(.*\)",*$/    \1/p' <<<"$out" | sed 's/\\[nt]/ /g' | redact >&2
    return 1
  done
  sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$out"
}

# Copies module@version out of the module cache into a writable folder.
copy_module() { # module@version dest
  local dir
  dir=$(mod_dir "$1") && [ -n "$dir" ] || { echo "module $1 is not available from the module proxy" >&2; return 1; }
  rm -rf "$2"; mkdir -p "$(dirname "$2")"; cp -r "$dir" "$2"; chmod -R u+w "$2"
}

# --- CLI ---------------------------------------------------------------------
build_cli() {
  step_start "cli (pulumi v$PULUMI_VERSION)"
  if [ -x "$CLI_BIN/pulumi" ]; then step_end cached; return; fi
  local onpath; onpath=$(command -v pulumi || true)
  if [ -n "$onpath" ] && [ "$("$onpath" version 2>/dev/null)" = "v$PULUMI_VERSION" ]; then
    mkdir -p "$CLI_BIN"
    ln -sf "$onpath" "$CLI_BIN/pulumi"
    local f dir; dir=$(dirname "$(readlink -f "$onpath")")
    for f in pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python; do
      [ -e "$dir/$f" ] && ln -sf "$dir/$f" "$CLI_BIN/$f"
    done
    [ -e "$dir/pulumi-language-python" ] && echo "beside the CLI" >"$CLI_BIN/.language-host"
    step_end "using $onpath"; return
  fi
  local w="$WORK/pulumi-v$PULUMI_VERSION"
  rm -rf "$w"; mkdir -p "$w" "$CLI_BIN"
  cat >"$w/go.mod" <<EOF
module litellm-gateway/toolchain/pulumi

go 1.25.11

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace $CLIPBOARD_REPLACE
EOF
  (cd "$w" && gorun go build -p "$GO_P" -trimpath -tags osusergo,grpcnotrace \
    -ldflags "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$w/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) || { step_fail "go build"; return 1; }
  mv "$w/pulumi" "$CLI_BIN/pulumi"
  rm -rf "$w"
  step_end
}

# --- Python language host -------------------------------------------------------
# The module proxy serves no pulumi-language-python module of its own (any version), so the
# host is the one of the last release that shipped it inside sdk/v3 ($PYHOST_SDK), with one
# build-time patch (toolchain/pyhost/runplugin_info.go says why) so that CLI v$PULUMI_VERSION
# can start Python policy packs through it.
build_pyhost() {
  step_start "python language host"
  mkdir -p "$CLI_BIN"
  local sdkdir f
  # The -exec script (and the dynamic-provider script) come from the SDK module of
  # the CLI's version and must sit in the same folder as the host binary.
  for f in python/cmd/pulumi-language-python-exec python/dist/pulumi-resource-pulumi-python; do
    if [ ! -e "$CLI_BIN/$(basename "$f")" ]; then
      sdkdir=${sdkdir:-$(mod_dir "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION")} || { step_fail "sdk module"; return 1; }
      install -m 0755 "$sdkdir/$f" "$CLI_BIN/$(basename "$f")"
    fi
  done
  local want; want="$PYHOST_SDK patched $(cat "$ROOT_DIR"/toolchain/pyhost/*.go | sha256sum | cut -c1-16)"
  if [ -x "$CLI_BIN/pulumi-language-python" ] && grep -qxF -e "$want" -e "beside the CLI" "$CLI_BIN/.language-host" 2>/dev/null; then
    step_end "cached: $(cat "$CLI_BIN/.language-host")"; return
  fi
  local w="$WORK/pulumi-language-python" hostdir
  rm -rf "$w"; mkdir -p "$w"
  hostdir=$(mod_dir "github.com/pulumi/pulumi/sdk/v3@$PYHOST_SDK") || { step_fail "sdk $PYHOST_SDK module"; return 1; }
  cp "$hostdir/python/cmd/pulumi-language-python/main.go" "$ROOT_DIR"/toolchain/pyhost/*.go "$w/"
  chmod u+w "$w"/*.go
  # The one insertion: at the top of RunPlugin, take the program from `info` when it is empty.
  python3 "$ROOT_DIR/toolchain/pyhost/patch_main.py" "$w/main.go" || { step_fail "patch main.go"; return 1; }
  cat >"$w/go.mod" <<EOF
module litellm-gateway/toolchain/pulumi-language-python

go 1.20

require github.com/pulumi/pulumi/sdk/v3 $PYHOST_SDK
EOF
  (cd "$w" && gorun go test -count=1 . && gorun go build -p "$GO_P" -trimpath \
    -ldflags "-w -s -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PYHOST_SDK" \
    -o "$w/pulumi-language-python" .) || { step_fail "go build"; return 1; }
  mv "$w/pulumi-language-python" "$CLI_BIN/pulumi-language-python"
  echo "$want" >"$CLI_BIN/.language-host"
  rm -rf "$w"
  step_end "$want"
}

# --- providers -----------------------------------------------------------------
provider_bin() { echo "$TC/$1-$2/bin/pulumi-resource-$1"; }
plugin_installed() { [ -x "$PLUGIN_DIR/resource-$1-v$2/pulumi-resource-$1" ]; }

install_plugin() { # name version
  local bin; bin=$(provider_bin "$1" "$2")
  step_start "plugin install $1 $2"
  if plugin_installed "$1" "$2"; then step_end cached; return; fi
  [ -x "$CLI_BIN/pulumi" ] || { step_fail "no pulumi CLI in $CLI_BIN (run: scripts/toolchain.sh cli)"; return 1; }
  PULUMI_SKIP_UPDATE_CHECK=true "$CLI_BIN/pulumi" plugin install resource "$1" "$2" -f "$bin" \
    || { step_fail "pulumi plugin install"; return 1; }
  step_end
}

# provider NAME VERSION: common skip logic; returns 0 when a build is needed.
provider_needs_build() {
  if plugin_installed "$1" "$2" && [ ! -x "$(provider_bin "$1" "$2")" ]; then
    step_end "already in the plugin cache ($PLUGIN_DIR)"; return 1
  fi
  if [ -x "$(provider_bin "$1" "$2")" ]; then step_end cached; return 1; fi
  return 0
}

# The part every provider shares once its modules are in $w: generate the schema, build the
# plugin binary with the version stamped in, move it into the cache.
# VERSION_VALUE is what the provider's pkg/version.Version expects (kubernetes wants a 'v').
generate_and_build() {
  local name=$1 v=$2 w=$3 mod=$4 version_value=$5 tags=${6:-}
  (cd "$w/provider/cmd/pulumi-resource-$name" && VERSION=$v gorun go run ./generate.go) || { step_fail "generate"; return 1; }
  (cd "$w/provider" && gorun go build -p "$GO_P" -trimpath ${tags:+-tags "$tags"} \
    -ldflags "-s -w -X $mod/pkg/version.Version=$version_value" \
    -o "$w/pulumi-resource-$name" "./cmd/pulumi-resource-$name") || { step_fail "go build"; return 1; }
  mkdir -p "$(dirname "$(provider_bin "$name" "$v")")"
  mv "$w/pulumi-resource-$name" "$(provider_bin "$name" "$v")"
  rm -rf "$w"
  step_end
}

# Each provider's build lives in its own file (it may use the helpers above).
for f in "$ROOT_DIR"/scripts/toolchain.d/*.sh; do [ -e "$f" ] && source "$f"; done

build_kubernetes() {
  local v=$KUBERNETES_VERSION w="$WORK/kubernetes-$KUBERNETES_VERSION"
  step_start "kubernetes $v"
  if provider_needs_build kubernetes "$v"; then
    copy_module "$K8S_MOD@$K8S_MODVER" "$w/provider" || { step_fail "module not available"; return 1; }
    copy_module "$K8S_SDK_MOD@$K8S_SDK_MODVER" "$w/sdk" || { step_fail "sdk module not available"; return 1; }
    generate_and_build kubernetes "$v" "$w" "$K8S_MOD" "v$v" || return 1
  fi
  [ -x "$(provider_bin kubernetes "$v")" ] && install_plugin kubernetes "$v" || true
}

check_sumdb
case "$TARGET" in
  all) build_cli || true; build_pyhost || true; build_random || true; build_docker || true; build_kubernetes || true ;;
  cli) build_cli || true; build_pyhost || true ;;
  pyhost) build_pyhost || true ;;
  random) build_random || true ;;
  docker) build_docker || true ;;
  kubernetes) build_kubernetes || true ;;
esac

echo "==> summary"
for s in "${SUMMARY[@]}"; do echo "    $s"; done
echo "==> total $(( $(date +%s) - T_ALL ))s"
[ -n "$GONOSUMDB" ] && echo "==> GONOSUMDB=$GONOSUMDB"
echo "export PATH=$CLI_BIN:\$PATH"
if [ ${#FAILED[@]} -gt 0 ]; then
  echo "==> FAILED: ${FAILED[*]}" >&2
  exit 1
fi
