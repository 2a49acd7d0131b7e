#!/usr/bin/env bash
# Build litellm-gateway's container images locally (nothing can be pulled here).
#
# Every tag comes from images/versions.env (exact versions, never `latest`). An image
# whose exact tag already exists in the engine is skipped unless --force is given.
# Downloads are cached under ${LITELLM_GATEWAY_CACHE:-$HOME/.cache/litellm-gateway}:
# the debootstrap root file system tarball and the pip wheelhouse.
# No registry host name is written anywhere: the Debian mirror is read at run time from
# the machine's apt configuration, and pip uses the machine's own pip configuration.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$SCRIPT_DIR/.." && pwd)"
IMAGES_DIR="$REPO_DIR/images"
ALL_IMAGES="base postgres redis litellm mock-upstream"
# Built only when named: a stand-in with the layout of LiteLLM's official image, for the tests of
# the stack's official-image arrangement (images/litellm-official-layout/Dockerfile says why).
EXTRA_IMAGES="litellm-official-layout"

usage() {
  cat <<EOF
Usage: scripts/images.sh [options] [IMAGE...]

Build the project's images into the local Docker engine (tags: images/versions.env).
IMAGE is any of: $ALL_IMAGES (default: all), or $EXTRA_IMAGES (only when named: a
stand-in with the layout of LiteLLM's official image, for tests). Dependencies (base) are built first.

Options:
  --force      rebuild the selected images even if their tag exists (docker's layer
               cache is used; cached downloads are reused, hashes re-checked)
  --no-cache   with --force: docker build --no-cache (apt and pip steps run again)
  --fresh      with --force: also drop the cached rootfs tarball and wheelhouse
               (debootstrap and pip download run again)
  --relock     resolve images/litellm/requirements.txt again with pip and rewrite
               images/litellm/requirements.lock and images/litellm/litellm.sha256
  --verbose    stream build output (default: to log files, tail shown on failure)
  --list       print the image tags and whether each exists, then exit
  --check      exit 1 unless each selected image exists and was built from this checkout's
               images/ (its build label); prints each one's state (tests and benchmarks ask
               this before measuring: a tag another checkout rebuilt is not what they test)
  -h, --help   this help

Environment:
  LITELLM_GATEWAY_CACHE   cache dir (default: \$HOME/.cache/litellm-gateway)
  DOCKER_BUILDKIT         passed to docker build (default 0 when no buildx plugin)
EOF
}

FORCE=0; NOCACHE=0; FRESH=0; RELOCK=0; VERBOSE=0; LIST=0; CHECK=0; SELECTED=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --force) FORCE=1 ;;
    --no-cache) NOCACHE=1 ;;
    --fresh) FRESH=1 ;;
    --relock) RELOCK=1 ;;
    --verbose) VERBOSE=1 ;;
    --list) LIST=1 ;;
    --check) CHECK=1 ;;
    -*) echo "images.sh: unknown option: $1" >&2; usage >&2; exit 2 ;;
    *)
      case " $ALL_IMAGES $EXTRA_IMAGES " in
        *" $1 "*) SELECTED="$SELECTED $1" ;;
        *) echo "images.sh: unknown image: $1 (known: $ALL_IMAGES $EXTRA_IMAGES)" >&2; exit 2 ;;
      esac ;;
  esac
  shift
done
[ -n "$SELECTED" ] || SELECTED="$ALL_IMAGES"

# ---- versions: the one file shared with the Pulumi program -----------------------
VERSIONS_FILE="$IMAGES_DIR/versions.env"
[ -f "$VERSIONS_FILE" ] || { echo "images.sh: missing $VERSIONS_FILE" >&2; exit 1; }
set -a
# shellcheck source=../images/versions.env
. "$VERSIONS_FILE"
set +a
for v in DEBIAN_SUITE BASE_IMAGE POSTGRES_MAJOR POSTGRES_VERSION POSTGRES_DEB_VERSION POSTGRES_IMAGE \
         REDIS_VERSION REDIS_DEB_VERSION REDIS_IMAGE LITELLM_VERSION LITELLM_IMAGE LITELLM_UID \
         MOCK_UPSTREAM_VERSION MOCK_UPSTREAM_IMAGE; do
  [ -n "${!v:-}" ] || { echo "images.sh: $v is not set in $VERSIONS_FILE" >&2; exit 1; }
done
# The stand-in's tag follows the LiteLLM version; it is not in versions.env, whose hash is part of
# every other image's build label (a line there would rebuild them all for a test-only image).
LITELLM_OFFICIAL_LAYOUT_IMAGE="litellm-gateway/litellm-official-layout:$LITELLM_VERSION"
for tag in "$BASE_IMAGE" "$POSTGRES_IMAGE" "$REDIS_IMAGE" "$LITELLM_IMAGE" "$MOCK_UPSTREAM_IMAGE" "$LITELLM_OFFICIAL_LAYOUT_IMAGE"; do
  case "$tag" in
    *:latest|*:) echo "images.sh: refusing tag '$tag': exact versions only (N2)" >&2; exit 1 ;;
    *:*) ;;
    *) echo "images.sh: refusing untagged image '$tag': exact versions only (N2)" >&2; exit 1 ;;
  esac
done
case "$LITELLM_VERSION" in
  1.82.7|1.82.8) echo "images.sh: litellm $LITELLM_VERSION is a known-compromised release: refused (N2)" >&2; exit 1 ;;
esac

CACHE="${LITELLM_GATEWAY_CACHE:-$HOME/.cache/litellm-gateway}"
LOG_DIR="$CACHE/logs"
BUILD_DIR="$CACHE/build"
mkdir -p "$CACHE" "$LOG_DIR" "$BUILD_DIR"

T0=$(date +%s.%N)
now() { date +%s.%N; }
secs_since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
say() { echo "==> $*"; }
die() { echo "images.sh: ERROR: $*" >&2; exit 1; }

tag_of() {
  case "$1" in
    base) echo "$BASE_IMAGE" ;;
    postgres) echo "$POSTGRES_IMAGE" ;;
    redis) echo "$REDIS_IMAGE" ;;
    litellm) echo "$LITELLM_IMAGE" ;;
    mock-upstream) echo "$MOCK_UPSTREAM_IMAGE" ;;
    litellm-official-layout) echo "$LITELLM_OFFICIAL_LAYOUT_IMAGE" ;;
  esac
}
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
# What an image is built from: its folder under images/ and versions.env. A tag whose label
# differs was built from other sources and is rebuilt (the base image has no such folder).
context_hash() {
  [ -d "$IMAGES_DIR/$1" ] || { echo none; return; }
  (cd "$IMAGES_DIR" && find "$1" -type f | LC_ALL=C sort | xargs sha256sum && sha256sum versions.env) | sha256sum | cut -c1-16
}
image_current() {
  local name=$1 tag=$2 label
  image_exists "$tag" || return 1
  [ -d "$IMAGES_DIR/$name" ] && [ "$name" != base ] || return 0
  label=$(docker image inspect --format '{{index .Config.Labels "io.litellm-gateway.context"}}' "$tag" 2>/dev/null)
  [ "$label" = "$(context_hash "$name")" ]
}
image_size() { docker image inspect --format '{{.Size}}' "$1" 2>/dev/null | awk '{ printf "%.0f MB", $1 / 1e6 }'; }

if [ "$LIST" = 1 ]; then
  for name in $ALL_IMAGES $EXTRA_IMAGES; do
    tag="$(tag_of "$name")"
    if image_exists "$tag"; then echo "$name $tag present $(image_size "$tag")"; else echo "$name $tag missing"; fi
  done
  exit 0
fi

if [ "$CHECK" = 1 ]; then
  bad=0
  for name in $SELECTED; do
    tag="$(tag_of "$name")"
    if image_current "$name" "$tag"; then echo "$name $tag current"
    elif image_exists "$tag"; then echo "$name $tag stale: built from other sources than this checkout's images/$name"; bad=1
    else echo "$name $tag missing"; bad=1; fi
  done
  [ "$bad" = 0 ] || echo "images.sh: rebuild with: scripts/images.sh$SELECTED" >&2
  exit "$bad"
fi

# ---- engine ------------------------------------------------------------------------
"$SCRIPT_DIR/docker-engine.sh"

if [ -z "${DOCKER_BUILDKIT:-}" ]; then
  if docker buildx version >/dev/null 2>&1; then export DOCKER_BUILDKIT=1; else export DOCKER_BUILDKIT=0; fi
fi

# ---- Debian mirror, read from the machine's apt configuration at run time ----------
# Prints one-line "deb [signed-by=...] URI SUITE COMPONENTS" entries for $DEBIAN_SUITE*.
apt_source_lines() {
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v suite="$DEBIAN_SUITE" -v keyring="$keyring" '
      function flush(   n, m, i, j, S, U) {
        if (enabled && types ~ /(^|[ \t])deb([ \t]|$)/ && uris != "" && comps != "") {
          n = split(suites, S, /[ \t]+/); m = split(uris, U, /[ \t]+/)
          for (i = 1; i <= n; i++) if (S[i] == suite || index(S[i], suite "-") == 1)
            for (j = 1; j <= m; j++) if (U[j] != "") print "deb [signed-by=" keyring "] " U[j] " " S[i] " " comps
        }
        types = uris = suites = comps = ""; enabled = 1
      }
      BEGIN { enabled = 1 }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^Types:/      { sub(/^Types:[ \t]*/, "");      types = $0;  next }
      /^URIs:/       { sub(/^URIs:[ \t]*/, "");       uris = $0;   next }
      /^Suites:/     { sub(/^Suites:[ \t]*/, "");     suites = $0; next }
      /^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0;  next }
      /^Enabled:/    { if ($2 == "no") enabled = 0; next }
      END { flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v suite="$DEBIAN_SUITE" -v keyring="$keyring" '
      $1 == "deb" {
        i = 2
        if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ }
        uri = $(i); s = $(i + 1); comps = ""
        for (k = i + 2; k <= NF; k++) comps = comps (comps == "" ? "" : " ") $k
        if ((s == suite || index(s, suite "-") == 1) && comps != "") print "deb [signed-by=" keyring "] " uri " " s " " comps
      }' "$f"
  done
}

APT_SOURCES="$(apt_source_lines | awk '!seen[$0]++')"
[ -n "$APT_SOURCES" ] || die "no Debian '$DEBIAN_SUITE' entry found in /etc/apt/sources.list or /etc/apt/sources.list.d/"
DEBIAN_MIRROR="$(printf '%s\n' "$APT_SOURCES" | awk -v suite="$DEBIAN_SUITE" '$4 == suite { print $3; exit }')"
[ -n "$DEBIAN_MIRROR" ] || die "no Debian mirror for suite '$DEBIAN_SUITE' in the machine's apt sources"

# ---- helpers --------------------------------------------------------------------------
# run_logged LOGFILE CMD...: output to the log (and the terminal with --verbose).
run_logged() {
  local log="$1"; shift
  if [ "$VERBOSE" = 1 ]; then
    "$@" 2>&1 | tee -a "$log"; return "${PIPESTATUS[0]}"
  else
    "$@" >>"$log" 2>&1
  fi
}
fail_with_log() {
  local log="$1"; shift
  echo "images.sh: ERROR: $*" >&2
  echo "---- last lines of $log ----" >&2
  tail -n 40 "$log" >&2 || true
  exit 1
}

# make_context NAME: a fresh build context in the cache = images/NAME + apt.sources.
make_context() {
  local name="$1" ctx="$BUILD_DIR/$1"
  rm -rf "$ctx"; mkdir -p "$ctx"
  cp -a "$IMAGES_DIR/$name/." "$ctx/"
  printf '%s\n' "$APT_SOURCES" > "$ctx/apt.sources"
  echo "$ctx"
}

docker_build() {  # docker_build NAME TAG CONTEXT [build-args...]
  local name="$1" tag="$2" ctx="$3"; shift 3
  local log="$LOG_DIR/$name.log" nocache=()
  [ "$NOCACHE" = 1 ] && nocache=(--no-cache)
  : > "$log"
  say "$name: docker build -t $tag (log: $log)"
  run_logged "$log" docker build "${nocache[@]}" --pull=false --rm --force-rm -t "$tag" \
      --build-arg "BASE_IMAGE=$BASE_IMAGE" \
      --label "org.opencontainers.image.title=$name" \
      --label "org.opencontainers.image.version=${tag##*:}" \
      --label "org.opencontainers.image.created=$(date -u +%FT%TZ)" \
      --label "io.litellm-gateway.image=$name" \
      --label "io.litellm-gateway.context=$(context_hash "$name")" \
      "$@" "$ctx" \
    || fail_with_log "$log" "docker build of $tag failed"
}

# ---- base: debootstrap --variant=minbase -> docker import --------------------------
build_base() {
  local tag="$BASE_IMAGE" log="$LOG_DIR/base.log"
  local tarball="$CACHE/rootfs/debian-${tag##*:}-rootfs.tar"
  mkdir -p "$CACHE/rootfs"
  : > "$log"
  [ "$FRESH" = 1 ] && rm -f "$tarball"
  if [ -s "$tarball" ]; then
    say "base: using cached root file system $tarball"
  else
    if ! command -v debootstrap >/dev/null 2>&1; then
      say "base: installing debootstrap (apt-get install -y debootstrap)"
      apt-cache show debootstrap >/dev/null 2>&1 || run_logged "$log" apt-get update -q
      run_logged "$log" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap \
        || fail_with_log "$log" "could not install debootstrap"
    fi
    local dir="$CACHE/rootfs/debian-${tag##*:}.tmp"
    rm -rf "$dir"; mkdir -p "$dir"
    say "base: debootstrap --variant=minbase $DEBIAN_SUITE (mirror from the machine's apt sources)"
    local t; t=$(now)
    run_logged "$log" debootstrap --variant=minbase --arch="$(dpkg --print-architecture)" \
        "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" \
      || fail_with_log "$log" "debootstrap failed"
    say "base: debootstrap done [$(secs_since "$t")s]"
    # The project's container defaults, then drop what an image should not carry:
    # the host's mirror (each build brings its own apt.sources), apt lists, caches, logs.
    cp -a "$IMAGES_DIR/base/overlay/." "$dir/"
    rm -f "$dir/etc/apt/sources.list" "$dir"/etc/apt/sources.list.d/*
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin "$dir"/var/cache/apt/archives/*.deb \
           "$dir"/var/log/* "$dir"/tmp/* "$dir"/var/tmp/* "$dir/debootstrap" 2>/dev/null || true
    # as dpkg would have done with the overlay's excludes in place from the start
    rm -rf "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/lintian/* 2>/dev/null || true
    find "$dir/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
    find "$dir/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
    : > "$dir/etc/machine-id"
    printf '%s\n' "litellm-gateway base $tag, built $(date -u +%FT%TZ) with debootstrap --variant=minbase $DEBIAN_SUITE" \
      > "$dir/etc/litellm-gateway-base"
    tar --numeric-owner --xattrs -C "$dir" \
        --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' --exclude='./run/*' \
        -cf "$tarball.part" . || fail_with_log "$log" "could not pack the root file system"
    mv "$tarball.part" "$tarball"
    rm -rf "$dir"
  fi
  say "base: docker import -> $tag"
  docker import \
      --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      --change 'ENV LANG=C.UTF-8' \
      --change 'CMD ["/bin/bash"]' \
      --change "LABEL org.opencontainers.image.title=base org.opencontainers.image.version=${tag##*:} io.litellm-gateway.image=base" \
      --message "debootstrap --variant=minbase $DEBIAN_SUITE" \
      "$tarball" "$tag" >>"$log" 2>&1 || fail_with_log "$log" "docker import failed"
}

# ---- litellm wheelhouse: pip download on the host (CPython 3.11, like bookworm) -----
LITELLM_DIR="$IMAGES_DIR/litellm"
LOCK="$LITELLM_DIR/requirements.lock"
WHEEL_SHA="$LITELLM_DIR/litellm.sha256"

# The pip that resolves and downloads the wheels must run on the same Python as the
# image (Debian bookworm's python3, 3.11.2): pip evaluates environment markers against
# the interpreter it runs on (e.g. redis needs async-timeout below 3.11.3 only), and
# --python-version does not change that. On a Debian bookworm host that is /usr/bin/python3,
# given a pip of its own in a venv under the cache (ensurepip: no download).
host_python() {
  local sys_py=/usr/bin/python3 ver venv
  if [ -x "$sys_py" ] && "$sys_py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
    ver="$("$sys_py" -c 'import platform; print(platform.python_version())')"
    venv="$CACHE/tools/pip-python-$ver"
    if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -m pip --version >/dev/null 2>&1; then
      rm -rf "$venv"
      if ! "$sys_py" -m venv "$venv" >/dev/null 2>&1; then
        say "installing python3-venv (apt-get install -y python3-venv) for a pip on $sys_py" >&2
        apt-cache show python3-venv >/dev/null 2>&1 || apt-get update -q >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3-venv >&2
        rm -rf "$venv"; "$sys_py" -m venv "$venv" >&2 || return 1
      fi
    fi
    echo "$venv/bin/python"; return 0
  fi
  local py
  for py in python3.11 python3; do
    if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' 2>/dev/null; then
      echo "images.sh: WARNING: no Debian /usr/bin/python3 3.11; resolving with $py ($("$py" -V 2>&1)): environment markers may differ from the image's (pip check in the build catches it)" >&2
      echo "$py"; return 0
    fi
  done
  return 1
}

relock() {
  local py="$1" log="$LOG_DIR/litellm-relock.log" tmp
  tmp="$(mktemp -d "$CACHE/relock.XXXXXX")"
  : > "$log"
  say "litellm: resolving requirements.txt with pip (pip download, machine's pip configuration)"
  run_logged "$log" "$py" -m pip download --disable-pip-version-check --only-binary=:all: \
      -d "$tmp" -r "$LITELLM_DIR/requirements.txt" \
    || { rm -rf "$tmp"; fail_with_log "$log" "pip download for the lock failed"; }
  "$py" - "$tmp" "$LOCK" "$LITELLM_VERSION" <<'PY'
import hashlib, pathlib, platform, re, sys, sysconfig
wheel_dir, lock, version = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
lines, seen = [], {}
for whl in sorted(wheel_dir.glob("*.whl"), key=lambda p: p.name.lower()):
    name, ver = whl.name.split("-")[:2]
    key = re.sub(r"[-_.]+", "-", name).lower()
    if key in seen:
        sys.exit(f"two wheels for {key}: {seen[key]} and {whl.name}")
    seen[key] = whl.name
    digest = hashlib.sha256(whl.read_bytes()).hexdigest()
    lines.append(f"{key}=={ver} --hash=sha256:{digest}")
others = [p.name for p in wheel_dir.iterdir() if not p.name.endswith(".whl")]
if others:
    sys.exit(f"not wheels (the image has no compiler): {others}")
if f"litellm=={version}" not in {l.split(" ")[0] for l in lines}:
    sys.exit(f"litellm=={version} is not what pip resolved")
header = [
    "# Generated by scripts/images.sh --relock from requirements.txt: every wheel of the",
    "# litellm-gateway/litellm image, exact version and sha256 (pip --require-hashes).",
    f"# Resolved on CPython {platform.python_version()} ({sysconfig.get_platform()}), like Debian bookworm's python3 in the image.",
]
lock.write_text("\n".join(header + lines) + "\n")
print(f"wrote {lock} ({len(lines)} wheels)")
PY
  local whl
  whl="$(cd "$tmp" && ls litellm-"$LITELLM_VERSION"-*.whl)"
  (cd "$tmp" && sha256sum "$whl") > "$WHEEL_SHA"
  say "litellm: wrote $(basename "$LOCK") and $(basename "$WHEEL_SHA") ($(cut -c1-16 "$WHEEL_SHA")... $whl)"
  rm -rf "$tmp"
}

# Prints the wheelhouse directory (complete, hash-checked).
prepare_wheelhouse() {
  local py log="$LOG_DIR/litellm-wheelhouse.log"
  py="$(host_python)" || die "the wheelhouse needs a CPython 3.11 on the host (same as Debian bookworm's python3)"
  say "litellm: pip on $("$py" -V 2>&1) ($py)" >&2
  if [ "$RELOCK" = 1 ] || [ ! -s "$LOCK" ]; then relock "$py" >&2; fi
  [ -s "$WHEEL_SHA" ] || die "missing $WHEEL_SHA (run scripts/images.sh --relock)"
  grep -q "^litellm==$LITELLM_VERSION " "$LOCK" \
    || die "requirements.lock does not pin litellm==$LITELLM_VERSION (versions.env); run scripts/images.sh --relock"
  grep -q "  litellm-$LITELLM_VERSION-" "$WHEEL_SHA" \
    || die "litellm.sha256 is not for litellm $LITELLM_VERSION; run scripts/images.sh --relock"
  local key wh
  key="$(cat "$LOCK" "$WHEEL_SHA" | sha256sum | cut -c1-12)"
  wh="$CACHE/wheelhouse/litellm-$LITELLM_VERSION-$key"
  [ "$FRESH" = 1 ] && rm -rf "$wh"
  if [ -f "$wh/.complete" ]; then
    say "litellm: using cached wheelhouse $wh" >&2
  else
    local t; t=$(now)
    : > "$log"
    say "litellm: pip download of $(grep -c '^[a-z0-9]' "$LOCK") hash-pinned wheels -> $wh" >&2
    rm -rf "$wh"; mkdir -p "$wh"
    run_logged "$log" "$py" -m pip download --disable-pip-version-check --only-binary=:all: \
        --no-deps --require-hashes -d "$wh" -r "$LOCK" >&2 \
      || fail_with_log "$log" "pip download of the wheelhouse failed"
    touch "$wh/.complete"
    say "litellm: wheelhouse ready, $(du -sh "$wh" | cut -f1) [$(secs_since "$t")s]" >&2
  fi
  # wheelhouses of older locks are of no further use
  find "$CACHE/wheelhouse" -mindepth 1 -maxdepth 1 -type d -name 'litellm-*' ! -path "$wh" -exec rm -rf {} + 2>/dev/null || true
  (cd "$wh" && sha256sum -c --quiet "$WHEEL_SHA") >&2 \
    || die "litellm wheel in $wh does not match $WHEEL_SHA"
  say "litellm: litellm wheel sha256 verified ($(cut -c1-16 "$WHEEL_SHA")...)" >&2
  echo "$wh"
}

# ---- per-image builds ------------------------------------------------------------------
build_one() {
  local name="$1" tag ctx wh
  tag="$(tag_of "$name")"
  case "$name" in
    base) build_base ;;
    postgres)
      ctx="$(make_context postgres)"
      docker_build postgres "$tag" "$ctx" \
        --build-arg "POSTGRES_MAJOR=$POSTGRES_MAJOR" --build-arg "POSTGRES_DEB_VERSION=$POSTGRES_DEB_VERSION"
      local got; got="$(docker run --rm --entrypoint postgres "$tag" --version | awk '{ print $3 }')"
      [ "$got" = "$POSTGRES_VERSION" ] || die "$tag contains postgres $got, expected $POSTGRES_VERSION (versions.env)"
      ;;
    redis)
      ctx="$(make_context redis)"
      docker_build redis "$tag" "$ctx" --build-arg "REDIS_DEB_VERSION=$REDIS_DEB_VERSION"
      local got; got="$(docker run --rm --entrypoint redis-server "$tag" --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')"
      [ "$got" = "$REDIS_VERSION" ] || die "$tag contains redis $got, expected $REDIS_VERSION (versions.env)"
      ;;
    litellm|litellm-official-layout)
      wh="$(prepare_wheelhouse)"
      ctx="$(make_context "$name")"
      rm -f "$ctx/README.md"
      # the same hash-pinned wheels for both: the stand-in differs in layout only
      cp "$LOCK" "$WHEEL_SHA" "$ctx/"
      # hard links when the cache and the context share a file system, else a copy
      cp -al "$wh" "$ctx/wheelhouse" 2>/dev/null || cp -a "$wh" "$ctx/wheelhouse"
      rm -f "$ctx/wheelhouse/.complete"
      docker_build "$name" "$tag" "$ctx" \
        --build-arg "LITELLM_VERSION=$LITELLM_VERSION" --build-arg "LITELLM_UID=$LITELLM_UID"
      ;;
    mock-upstream)
      ctx="$(make_context mock-upstream)"
      docker_build mock-upstream "$tag" "$ctx"
      ;;
  esac
  [ -n "${ctx:-}" ] && rm -rf "$ctx"
  return 0
}

# base first when anything needs it
ORDER=""
for name in $ALL_IMAGES $EXTRA_IMAGES; do
  case " $SELECTED " in *" $name "*) ORDER="$ORDER $name" ;; esac
done
if [ "${ORDER# base}" = "$ORDER" ] && ! image_exists "$BASE_IMAGE"; then
  say "base image $BASE_IMAGE is missing: building it first"
  ORDER="base$ORDER"
fi

say "images: $ORDER (versions: $VERSIONS_FILE; cache: $CACHE; DOCKER_BUILDKIT=$DOCKER_BUILDKIT)"
SUMMARY=""
for name in $ORDER; do
  tag="$(tag_of "$name")"
  t=$(now)
  if [ "$FORCE" = 0 ] && image_current "$name" "$tag"; then
    say "$name: $tag exists and matches images/$name, skipped [$(secs_since "$t")s]"
    SUMMARY="$SUMMARY
  $tag  skipped  $(image_size "$tag")"
    continue
  fi
  say "$name: building $tag"
  build_one "$name"
  el="$(secs_since "$t")"
  say "$name: built $tag in ${el}s ($(image_size "$tag"))"
  SUMMARY="$SUMMARY
  $tag  built in ${el}s  $(image_size "$tag")"
done
# The legacy builder leaves superseded images and intermediate stages (e.g. litellm's
# venv stage, ~1 GB) dangling; remove ours (labelled), never anything else's.
if [ -n "$(docker images -q -f dangling=true -f label=io.litellm-gateway.image)" ]; then
  say "removing dangling litellm-gateway build images: $(docker image prune -f --filter label=io.litellm-gateway.image 2>/dev/null | tail -1)"
fi
say "done [$(secs_since "$T0")s]:$SUMMARY"
