# pulumi-resource-random $RANDOM_VERSION: the project's Python STAND-IN (toolchain/random/README.md).
# Sourced by scripts/toolchain.sh. Neither the official provider nor the upstream Terraform
# provider is served as a Go module here, so nothing can be built: a random plugin of the right
# version already in the plugin cache that is not the stand-in (e.g. the official one) is used
# and never replaced; otherwise the stand-in is assembled in $TC/random-$RANDOM_VERSION/
# (launcher, provider code, its own virtualenv from toolchain/random/requirements.txt) and
# installed as a folder plugin. It is reinstalled whenever its sources change (content hash).

RANDOM_STANDIN_SRC="$ROOT_DIR/toolchain/random"
# The files that make the plugin (README.md is copied too but does not trigger a reinstall).
RANDOM_STANDIN_FILES=(pulumi-resource-random standin_password.py standin_provider.py requirements.txt)
# In the plugin folder: marks it as the stand-in, and holds the hash of the sources it was built from.
RANDOM_STANDIN_MARK=.litellm-gateway-stand-in

random_standin_hash() {
  (cd "$RANDOM_STANDIN_SRC" && sha256sum "${RANDOM_STANDIN_FILES[@]}") | sha256sum | cut -d' ' -f1
}

build_random() {
  local v=$RANDOM_VERSION
  local dir="$TC/random-$v" installed="$PLUGIN_DIR/resource-random-v$v"
  step_start "random $v"
  if [ -x "$installed/pulumi-resource-random" ] && [ ! -e "$installed/$RANDOM_STANDIN_MARK" ]; then
    step_end "the plugin cache already has random $v and it is not the stand-in: used as is ($installed)"
    return 0
  fi
  local want; want=$(random_standin_hash) || { step_fail "cannot read the stand-in's sources in $RANDOM_STANDIN_SRC"; return 1; }
  if [ "$(cat "$installed/$RANDOM_STANDIN_MARK" 2>/dev/null)" = "$want" ] \
     && "$installed/pulumi-resource-random" --self-check >/dev/null 2>&1; then
    step_end "cached: stand-in ${want:0:12} in $installed"
    return 0
  fi

  # Its own virtualenv, rebuilt only when requirements.txt changes.
  # (toolchain.sh sets pipefail: a failed pip fails the pipe through redact.)
  local req; req=$(sha256sum "$RANDOM_STANDIN_SRC/requirements.txt" | cut -d' ' -f1)
  if [ ! -x "$dir/venv/bin/python" ] || [ "$(cat "$dir/venv/.requirements.sha256" 2>/dev/null)" != "$req" ]; then
    command -v python3 >/dev/null || { step_fail "python3 is needed for the stand-in's virtualenv"; return 1; }
    rm -rf "$dir/venv"; mkdir -p "$dir"
    { python3 -m venv "$dir/venv" \
      && "$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$RANDOM_STANDIN_SRC/requirements.txt" 2>&1 | redact >&2; } || { step_fail "virtualenv from toolchain/random/requirements.txt"; return 1; }
    echo "$req" >"$dir/venv/.requirements.sha256"
  fi
  # `pulumi plugin install -f FOLDER` copies files by content and fails on a symlink to a
  # folder ("copy_file_range: is a directory"): drop venv's lib64 -> lib link, unused when the
  # interpreter's platlibdir is lib (file links such as bin/python are copied as files).
  if [ -L "$dir/venv/lib64" ]; then
    [ "$("$dir/venv/bin/python" -c 'import sys; print(sys.platlibdir)')" = lib ] \
      || { step_fail "this python's platlibdir is not lib: its virtualenv cannot be installed as a folder plugin"; return 1; }
    rm "$dir/venv/lib64"
  fi
  rm -rf "$dir/__pycache__"
  install -m 0755 "$RANDOM_STANDIN_SRC/pulumi-resource-random" "$dir/pulumi-resource-random"
  install -m 0644 "$RANDOM_STANDIN_SRC/standin_password.py" "$RANDOM_STANDIN_SRC/standin_provider.py" \
    "$RANDOM_STANDIN_SRC/requirements.txt" "$RANDOM_STANDIN_SRC/README.md" "$dir/"
  echo "$want" >"$dir/$RANDOM_STANDIN_MARK"
  "$dir/pulumi-resource-random" --self-check || { step_fail "self-check of $dir"; return 1; }

  [ -x "$CLI_BIN/pulumi" ] || { step_fail "no pulumi CLI in $CLI_BIN to install the plugin (run: scripts/toolchain.sh cli)"; return 1; }
  PULUMI_SKIP_UPDATE_CHECK=true "$CLI_BIN/pulumi" plugin install resource random "$v" -f "$dir" --reinstall \
    || { step_fail "pulumi plugin install resource random $v -f $dir"; return 1; }
  "$installed/pulumi-resource-random" --self-check || { step_fail "self-check of the installed plugin in $installed"; return 1; }
  step_end "stand-in ${want:0:12} installed into $installed"
}
