#!/usr/bin/env bash
# Run the TFX pipeline inside a cached Debian 13 (trixie) root, for hosts whose glibc is too old for
# tfx 1.21 (it needs glibc >= 2.39: Debian 12, Ubuntu 22.04). NEEDS ROOT (debootstrap, mount, chroot).
#
#   sudo tfx_pipeline/run_in_debian13.sh setup            # build or refresh the root and its venv, then exit
#   sudo tfx_pipeline/run_in_debian13.sh run [ARGS...]    # setup, then `python -m tfx_pipeline.local_runner ARGS`
#   sudo tfx_pipeline/run_in_debian13.sh exec CMD...      # setup, then run CMD inside (the venv is on PATH)
#   sudo tfx_pipeline/run_in_debian13.sh remove           # delete the cached root
#   tfx_pipeline/run_in_debian13.sh carry                 # print what is carried from the host's pip configuration
#
# The root is cached (UPCONV_TFX_ROOT, default /var/cache/upconv-tf/debian13), so only the first run pays
# for debootstrap and `pip install tfx`; later runs check two stamps and start at once. The venv is rebuilt
# when the requirements change (pyproject.toml dependencies or TFX_VERSION).
#
# Inside, the repository is bind-mounted at its host path and put on PYTHONPATH, so the code that runs is the
# checkout's, never a stale copy. Host folders the pipeline reads or writes must be bind-mounted too: list them
# in UPCONV_TFX_BIND (colon-separated; each appears at the same path inside). Mounts live in a private mount
# namespace (unshare -m) and vanish when the command ends, even if it is killed.
#
# Environment: UPCONV_TFX_ROOT, UPCONV_TFX_BIND, UPCONV_TFX_PYTHONPATH (prepended to the repository on
# PYTHONPATH, e.g. for your own run_fn module; bind its folder too), UPCONV_TFX_MIRROR (a Debian mirror URL; default: the first
# of deb.debian.org and the host's apt sources that answers), TFX_VERSION (default 1.21.0).
# Passed into the root: PIP_*, UPCONV_*, XDG_CONFIG_DIRS, TF_CPP_MIN_LOG_LEVEL, CI; the host's pip configuration
# files and every file and folder they name (tfx_pipeline/host_pip.py: constraints, CA bundle, local indexes). Timings are printed as `[debian13] ...`.
set -euo pipefail

ROOT=${UPCONV_TFX_ROOT:-/var/cache/upconv-tf/debian13}
TFX_VERSION=${TFX_VERSION:-1.21.0}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=/opt/tfx-venv
SUITE=trixie
INCLUDE=python3,python3-venv,python3-pip,python3-dev,g++,ca-certificates

log() { echo "[debian13] $*" >&2; }
die() { echo "run_in_debian13.sh: error: $*" >&2; exit 1; }
now() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

[ "$(uname -s)" = Linux ] || die "needs Linux (debootstrap, chroot); use the TFX container elsewhere"
[ "${1:-run}" = carry ] || [ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount and chroot); run it with sudo"
case "$ROOT" in /*) ;; *) die "UPCONV_TFX_ROOT must be an absolute path, got '$ROOT'" ;; esac
[ "$ROOT" != / ] || die "UPCONV_TFX_ROOT must not be /"

# --- Host facts -----------------------------------------------------------------------------------------
host_mirrors() {
    # Debian mirrors named in the host's apt sources (deb822 and one-line formats), security suites excluded.
    {
        grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | sed 's/^URIs:[[:space:]]*//' | tr ' ' '\n'
        grep -hs '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
            | sed 's/\[[^]]*\]//' | awk '{print $2}'
    } | grep -E '^(https?|file)://' | grep -v -- '-security' | grep '/debian/*$' | awk '!seen[$0]++'
}

mirror_answers() {
    python3 - "$1" <<'EOF' >/dev/null 2>&1
import sys, urllib.request
urllib.request.urlopen(sys.argv[1].rstrip("/") + "/dists/trixie/Release", timeout=20).read(64)
EOF
}

pick_mirror() {
    local m
    for m in ${UPCONV_TFX_MIRROR:-} http://deb.debian.org/debian $(host_mirrors); do
        if mirror_answers "$m"; then echo "$m"; return 0; fi
        log "mirror $m does not answer for trixie"
    done
    die "no Debian mirror answers for trixie; set UPCONV_TFX_MIRROR"
}

pip_carry() {
    # What pip inside needs from the host's pip configuration: its pip.conf files and every file or folder
    # they (or PIP_* variables) name, e.g. a constraints file. Tab-separated `copy SRC DEST` / `bind DIR` lines.
    python3 "$REPO/tfx_pipeline/host_pip.py"
}

# --- The root -------------------------------------------------------------------------------------------
build_root() {
    local t mirror
    if ! command -v debootstrap >/dev/null 2>&1; then
        t=$(now)
        apt-get install -y -qq debootstrap >/dev/null 2>&1 \
            || { apt-get update -qq && apt-get install -y -qq debootstrap; }
        log "installed debootstrap in $(took "$t") s"
    fi
    mirror=$(pick_mirror)
    rm -rf "$ROOT.partial"
    mkdir -p "$(dirname "$ROOT")"
    t=$(now)
    log "debootstrap $SUITE from $mirror into $ROOT (a few minutes, once)"
    debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$ROOT.partial" "$mirror" >"$ROOT.debootstrap.log" 2>&1 \
        || { tail -n 30 "$ROOT.debootstrap.log" >&2; die "debootstrap failed (log: $ROOT.debootstrap.log)"; }
    rm -rf "$ROOT"
    mv "$ROOT.partial" "$ROOT"
    date -u +%FT%TZ >"$ROOT/.upconv-root-ok"
    log "debootstrap: $(took "$t") s"
}

copy_host_config() {
    # Cheap, done on every start so that changes on the host (DNS, proxies, pip index, CAs) are picked up.
    cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
    cp -L /etc/hosts "$ROOT/etc/hosts" 2>/dev/null || true
    local kind src dest
    while IFS=$'\t' read -r kind src dest; do
        [ "$kind" = copy ] || continue
        mkdir -p "$ROOT$(dirname "$dest")"
        cp -L "$src" "$ROOT$dest"
    done < <(pip_carry)
    if [ -d /usr/local/share/ca-certificates ]; then
        mkdir -p "$ROOT/usr/local/share/ca-certificates"
        cp -rL /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
    fi
    # Keep the host's whole bundle too: some hosts add CAs straight to it.
    if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
        cp -L /etc/ssl/certs/ca-certificates.crt "$ROOT/usr/local/share/ca-certificates/host-bundle.crt"
    fi
}

# Run "$@" inside the root, with the repository, pip's local folders and UPCONV_TFX_BIND mounted.
in_root() {
    local binds=("$REPO") ro=() d envs=()
    local IFS_OLD=$IFS
    IFS=: read -r -a extra <<<"${UPCONV_TFX_BIND:-}"
    IFS=$IFS_OLD
    for d in "${extra[@]}"; do [ -n "$d" ] && binds+=("$(realpath -m "$d")"); done
    local kind
    while IFS=$'\t' read -r kind d; do if [ "$kind" = bind ]; then ro+=("$d"); fi; done < <(pip_carry)
    while IFS= read -r d; do envs+=("$d"); done < <(env | grep -E '^(PIP_[A-Z_]*|UPCONV_[A-Z_0-9]*|XDG_CONFIG_DIRS|TF_CPP_MIN_LOG_LEVEL|CI)=' || true)
    local cwd=$PWD
    case "$cwd" in "$REPO" | "$REPO"/*) ;; *) cwd=$REPO ;; esac
    unshare --mount --propagation private -- bash -c '
        set -e
        root=$1; shift; nb=$1; shift
        binds=(); for ((i = 0; i < nb; i++)); do binds+=("$1"); shift; done
        nr=$1; shift
        ro=(); for ((i = 0; i < nr; i++)); do ro+=("$1"); shift; done
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        mount --rbind /sys "$root/sys" 2>/dev/null || true
        mkdir -p "$root/tmp" && chmod 1777 "$root/tmp"
        for d in "${binds[@]}"; do mkdir -p "$d" "$root$d"; mount --bind "$d" "$root$d"; done
        for d in "${ro[@]}"; do mkdir -p "$root$d"; mount --bind "$d" "$root$d"; mount -o remount,bind,ro "$root$d" 2>/dev/null || true; done
        exec chroot "$root" "$@"
    ' in_root "$ROOT" "${#binds[@]}" "${binds[@]}" "${#ro[@]}" "${ro[@]}" \
        /usr/bin/env -i HOME=/root LANG=C.UTF-8 PATH="$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        PYTHONPATH="${UPCONV_TFX_PYTHONPATH:+$UPCONV_TFX_PYTHONPATH:}$REPO" UPCONV_IN_DEBIAN13=1 "${envs[@]}" \
        /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$@"
}

requirements() {
    # The package's runtime dependencies (from pyproject.toml) plus TFX, resolved together.
    python3 - "$REPO/pyproject.toml" "$TFX_VERSION" <<'EOF'
import sys
try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11 on the host
    import re
    text = open(sys.argv[1]).read()
    block = re.search(r"^dependencies\s*=\s*\[(.*?)\]", text, re.S | re.M).group(1)
    deps = re.findall(r'"([^"]+)"', block)
else:
    deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
print("\n".join(deps + ["tfx==" + sys.argv[2]]))
EOF
}

build_venv() {
    local req stamp t
    req=$(requirements)
    stamp=$(printf '%s\n' "$req" | sha256sum | cut -c1-16)
    if [ -f "$ROOT$VENV/.upconv-$stamp" ]; then
        return 0
    fi
    t=$(now)
    rm -rf "$ROOT$VENV"
    printf '%s\n' "$req" >"$ROOT/tmp/upconv-requirements.txt"
    log "installing into $VENV: $(echo "$req" | tr '\n' ' ')"
    # (pip warns once per package about the host's local index folders that lack it: filtered out.)
    in_root bash -c "set -o pipefail; update-ca-certificates >/dev/null 2>&1; python3 -m venv $VENV \
        && $VENV/bin/pip install -q --upgrade pip && $VENV/bin/pip install -q -r /tmp/upconv-requirements.txt 2>&1 \
        | { grep -v 'is ignored: it is neither a file nor a directory' || true; }" \
        || die "pip install in the Debian 13 root failed (see above)"
    touch "$ROOT$VENV/.upconv-$stamp"
    log "tfx install: $(took "$t") s"
}

setup() {
    local t
    t=$(now)
    if [ ! -f "$ROOT/.upconv-root-ok" ]; then
        build_root
    fi
    copy_host_config
    in_root sh -c 'update-ca-certificates >/dev/null 2>&1 || true'
    build_venv
    log "setup: $(took "$t") s"
}

cmd=${1:-run}
[ $# -gt 0 ] && shift
case "$cmd" in
    setup) setup ;;
    run) setup; t=$(now); in_root python -m tfx_pipeline.local_runner "$@"; log "pipeline run: $(took "$t") s" ;;
    exec) [ $# -gt 0 ] || die "exec needs a command"; setup; in_root "$@" ;;
    carry) pip_carry ;;
    remove) rm -rf "$ROOT" "$ROOT.partial" "$ROOT.debootstrap.log"; log "removed $ROOT" ;;
    *) die "unknown command '$cmd' (expected setup, run, exec, carry or remove)" ;;
esac
