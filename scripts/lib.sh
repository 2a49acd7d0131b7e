# Shared by the project's scripts: the cache location, timed steps, and the offline Pulumi
# environment. Sourced, not run.

CACHE="${LITELLM_GATEWAY_CACHE:-$HOME/.cache/litellm-gateway}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# step NAME COMMAND...: runs COMMAND, printing its name, its duration and a clear failure line.
step() {
  local name=$1; shift
  local start=$SECONDS
  echo "==> $name"
  if "$@"; then
    echo "==> $name: done in $((SECONDS - start)) s"
  else
    local rc=$?
    echo "==> $name: FAILED after $((SECONDS - start)) s (exit $rc)" >&2
    return "$rc"
  fi
}

# A pip install into VENV from REQUIREMENTS, skipped when the file has not changed since.
venv_install() {
  local venv=$1 requirements=$2
  local stamp="$venv/.requirements.sha256"
  local want; want=$(sha256sum "$requirements" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then
    echo "    $venv is up to date with $(basename "$requirements")"
    return 0
  fi
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
}

# debian_tool COMMAND PACKAGE: installs Debian's PACKAGE when COMMAND is not on PATH (apt-get
# update only when the package is not known yet: a fresh machine). The benchmarks call the
# tool by name, so a user following the README gets it from scripts/setup, not from an error.
debian_tool() {
  local command=$1 package=$2 sudo=""
  if command -v "$command" >/dev/null 2>&1; then
    echo "    $command is $(command -v "$command")"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  apt-cache show "$package" >/dev/null 2>&1 || $sudo apt-get update -q
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$package"
  command -v "$command" >/dev/null 2>&1 || { echo "    $package installed but no $command on PATH" >&2; return 1; }
}

# The environment every Pulumi command of the project runs with: the locally built toolchain,
# no plugin downloads, no update checks.
pulumi_env() {
  local bin; bin=$("$ROOT/scripts/toolchain.sh" --print-path)
  # The project's virtualenv first: the language host built here ignores Pulumi.yaml's
  # `virtualenv` option (scripts/toolchain.sh explains why it is v3.79.0's).
  export PATH="$ROOT/.venv/bin:$bin:$PATH"
  export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
  export PULUMI_SKIP_UPDATE_CHECK=true
}

# The project's local state backend and a passphrase for its secrets: the user's own when
# PULUMI_CONFIG_PASSPHRASE is set, else one generated once per machine for throwaway stacks.
pulumi_stack_env() {
  pulumi_env
  mkdir -p "$CACHE/state"
  # The local backend only when no other is configured (a Pulumi Cloud token counts as one).
  if [ -z "${PULUMI_BACKEND_URL:-}" ] && [ -z "${PULUMI_ACCESS_TOKEN:-}" ]; then
    export PULUMI_BACKEND_URL="file://$CACHE/state"
  fi
  if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    local file="$CACHE/$1-passphrase"
    if [ ! -s "$file" ]; then
      (umask 077; head -c 32 /dev/urandom | base64 > "$file")
      echo "    created a passphrase for stack $1 in $file"
    fi
    export PULUMI_CONFIG_PASSPHRASE_FILE="$file"
  fi
}

# The provider plugins a stack needs (docker: random + docker; kubernetes: random +
# kubernetes), or a clear message naming the command that builds them, and status 3.
require_providers() {
  local missing=() have platform plugin name version plugins=("random 4.21.1")
  have=$(pulumi plugin ls 2>/dev/null)
  platform=$(grep -E '^\s*litellm-gateway:platform:' "$ROOT/Pulumi.$1.yaml" | awk '{print $2}' | tr -d "\"'")
  if [ "$platform" = kubernetes ]; then plugins+=("kubernetes 4.25.0"); else plugins+=("docker 5.1.0"); fi
  for plugin in "${plugins[@]}"; do
    read -r name version <<<"$plugin"
    grep -qE "^$name[[:space:]]+resource[[:space:]]+$version" <<<"$have" || missing+=("$name")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> missing Pulumi provider plugins: ${missing[*]}. Nothing was deployed. Build and install them with:" >&2
  for name in "${missing[@]}"; do echo "      scripts/toolchain.sh $name" >&2; done
  echo "    (with internet access, the official ones work too: pulumi plugin install resource NAME VERSION)" >&2
  return 3
}

# Creates the stack on first use and gives a stack that runs its own mock upstream (the dev
# stack, or a copy of it) the throwaway mockApiKey its model names (the mock ignores it).
ensure_stack() {
  local stack=$1
  pulumi stack select "$stack" --create --non-interactive >/dev/null
  if [ "$(pulumi config get mockUpstream --stack "$stack" 2>/dev/null)" = true ] \
     && ! pulumi config get mockApiKey --stack "$stack" >/dev/null 2>&1; then
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | pulumi config set --secret mockApiKey --stack "$stack" >/dev/null
    echo "    set the stack's secret mockApiKey (a throwaway value: the mock upstream ignores it)"
  fi
}
