# pulumi-resource-docker: the terraform bridge over the upstream kreuzwerker provider, with the
# mapping in toolchain/docker/ (pulumi-docker's own provider module is not served by the module
# proxy; shared TOOLCHAIN.md, "pulumi-docker"). Sourced by scripts/toolchain.sh.
#
# Cache: toolchain/docker-<v>/bin/pulumi-resource-docker, and beside bin/ the schema.json that
# is embedded in it and source.sha256, the hash of the toolchain/docker/ files it was built from
# (a changed mapping is rebuilt and reinstalled; an official plugin is never touched).

docker_source_hash() {
  (cd "$ROOT_DIR/toolchain/docker" && sha256sum go.mod go.sum ./*.go | sha256sum | cut -d' ' -f1)
}

# When our cached binary was built from other sources, drops it and, if the plugin cache holds
# that very binary, the installed plugin too, so both are redone.
docker_drop_stale() { # version
  local bin dir stamp plugin
  bin=$(provider_bin docker "$1"); dir=$(dirname "$(dirname "$bin")")
  [ -x "$bin" ] || return 0
  stamp=$(cat "$dir/source.sha256" 2>/dev/null || true)
  [ "$stamp" = "$(docker_source_hash)" ] && return 0
  echo "==> toolchain/docker/ changed since $bin was built: rebuilding"
  plugin="$PLUGIN_DIR/resource-docker-v$1/pulumi-resource-docker"
  if [ -e "$plugin" ] && cmp -s "$plugin" "$bin"; then
    rm -rf "$PLUGIN_DIR/resource-docker-v$1" "$PLUGIN_DIR/resource-docker-v$1.lock"
  fi
  rm -rf "$dir"
}

build_docker() {
  local v=$DOCKER_VERSION w="$WORK/docker-$DOCKER_VERSION" bin ldflags
  bin=$(provider_bin docker "$v")
  step_start "docker $v"
  docker_drop_stale "$v"
  if provider_needs_build docker "$v"; then
    rm -rf "$w"; mkdir -p "$w"
    cp "$ROOT_DIR"/toolchain/docker/{go.mod,go.sum,*.go} "$w/"
    # no_compose: the upstream's tag that leaves out docker_compose (not in the 5.1.0 SDK) and so
    # docker/compose's dependencies. -X main.version: the plugin reports the SDK's version.
    ldflags="-s -w -X main.version=$v"
    # 1. The schema generator (same package, -tags tfgen), run once. Property descriptions come
    #    from the provider's own schema; the resource pages (upstream docs/, which the bridge looks
    #    for through a ./provider module) and the examples (HCL conversion) are left out.
    (cd "$w" && gorun go build -p "$GO_P" -trimpath -tags no_compose,tfgen -ldflags "$ldflags" \
      -o "$w/pulumi-tfgen-docker" .) || { step_fail "go build (tfgen)"; return 1; }
    (cd "$w" && ./pulumi-tfgen-docker schema --skip-docs --skip-examples --out "$w/gen" >"$w/tfgen.log" 2>&1) \
      || { sed 's/^/    /' "$w/tfgen.log" | tail -20 | redact >&2; step_fail "tfgen schema"; return 1; }
    cp "$w/gen/schema.json" "$w/schema.json"
    # 2. The plugin, with that schema embedded (main.go).
    (cd "$w" && gorun go build -p "$GO_P" -trimpath -tags no_compose -ldflags "$ldflags" \
      -o "$w/pulumi-resource-docker" .) || { step_fail "go build"; return 1; }
    mkdir -p "$(dirname "$bin")"
    mv "$w/pulumi-resource-docker" "$bin"
    cp "$w/schema.json" "$(dirname "$(dirname "$bin")")/schema.json"
    docker_source_hash >"$(dirname "$(dirname "$bin")")/source.sha256"
    rm -rf "$w"
    step_end "schema: $(dirname "$(dirname "$bin")")/schema.json"
  fi
  [ -x "$bin" ] && install_plugin docker "$v" || true
}
