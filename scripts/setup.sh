#!/usr/bin/env bash
# Set up a development / CI machine for KOD-Leitstelle (Debian 12 or 13).
#
#   (a) installs the Debian packages the app and its tests need (only missing ones),
#   (b) creates .venv in the repository and installs the project with extras "dev",
#   (c) fetches the situation map's web assets (Leaflet) with npm into resources/web/vendor/
#       (pinned in resources/web/assets.json; the map never loads anything from a CDN).
#
# Idempotent: a second run checks with dpkg-query and a hash of pyproject.toml and
# does nothing else. Environment:
#   PYTHON   interpreter for the venv (default: python3)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY="${PYTHON:-python3}"
VENV="$ROOT/.venv"
MARKER="$VENV/.kod-installed"

log() { printf '[setup] %s\n' "$*"; }
die() { printf '[setup] FEHLER: %s\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive

# --- privileges --------------------------------------------------------------
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    fi
fi
as_root() {
    if [ "$(id -u)" -ne 0 ] && [ "${#SUDO[@]}" -eq 0 ]; then
        die "root rights needed for: $* (run as root or install sudo)"
    fi
    "${SUDO[@]}" "$@"
}

# --- (a) system packages -----------------------------------------------------
# Names as on Debian 12. Where Debian 13 renamed a library for the 64-bit time_t
# transition (libasound2 -> libasound2t64, libglib2.0-0 -> libglib2.0-0t64), the
# "t64" name is accepted as installed and chosen when apt knows it.
PACKAGES=(
    # Qt + QtWebEngine
    libglib2.0-0 libgl1 libegl1 libfontconfig1 fonts-dejavu-core libxkbcommon0 libdbus-1-3
    libnss3 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2 libxkbfile1
    # QtWebEngine/QtPdf need libatomic.so.1 (not pulled in on Debian 12); CUPS for QtPrintSupport
    libatomic1 libcups2
    # xcb platform under Xvfb
    xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0
    libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0
    # libvlc
    libvlc5 vlc-plugin-base vlc-plugin-video-output
    # tools and database; slapd + ldap-utils for the directory-login test (a throw-away LDAP)
    ffmpeg poppler-utils postgresql slapd ldap-utils
    # the field web app's browser test (headless, driven by selenium)
    chromium chromium-driver
)

is_installed() {
    dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed
}

# apt's candidate version of a package, empty if apt does not know it.
candidate() {
    local c
    c="$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')"
    if [ -n "$c" ] && [ "$c" != "(none)" ]; then
        printf '%s\n' "$c"
    fi
}

# Does "$PY -m venv" work (Debian needs python3-venv for ensurepip)?
venv_works() {
    local tmp rc=0
    tmp="$(mktemp -d)"
    "$PY" -m venv "$tmp/v" >/dev/null 2>&1 || rc=$?
    rm -rf "$tmp"
    return "$rc"
}

venv_ok() {
    [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1
}

# Run an apt-get command quietly; show the end of its output if it fails.
apt_quiet() {
    local out rc=0
    out="$(mktemp)"
    as_root apt-get "$@" </dev/null >"$out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$out" >&2
        rm -f "$out"
        die "apt-get $1 failed (exit $rc)"
    fi
    rm -f "$out"
}

command -v "$PY" >/dev/null 2>&1 || die "Python interpreter '$PY' not found"
"$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' \
    || die "$PY is older than Python 3.11"

missing=()
for p in "${PACKAGES[@]}"; do
    if ! is_installed "$p" && ! is_installed "${p}t64"; then
        missing+=("$p")
    fi
done
# npm fetches the map's web assets; any npm will do (Debian's package, or one that came with
# a nodejs installed otherwise).
if ! command -v npm >/dev/null 2>&1; then
    missing+=(npm)
fi
if ! venv_ok && ! venv_works; then
    pyver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    missing+=(python3-venv "python${pyver}-venv")
fi

if [ "${#missing[@]}" -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; missing packages: ${missing[*]}"
    log "Fehlende Systempakete: ${missing[*]}"
    log "apt-get update ..."
    apt_quiet update
    install=()
    for p in "${missing[@]}"; do
        if [ -n "$(candidate "$p")" ]; then
            install+=("$p")
        elif [ -n "$(candidate "${p}t64")" ]; then
            install+=("${p}t64")
        elif [[ "$p" == python3.*-venv ]]; then
            : # versioned venv package exists only for Debian's own Pythons
        else
            die "package $p is unknown to apt"
        fi
    done
    log "apt-get install ${install[*]} (dauert 1-2 min) ..."
    apt_quiet install -y -q -o Dpkg::Use-Pty=0 "${install[@]}"
    log "Systempakete installiert."
else
    log "Systempakete vollständig."
fi

# --- (b) virtualenv ----------------------------------------------------------
if ! venv_ok; then
    if [ -e "$VENV" ]; then
        log "Unbrauchbares .venv wird neu angelegt."
        rm -rf "$VENV"
    fi
    log "Lege .venv an ($("$PY" -V 2>&1))"
    "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
fi

want_hash="$(sha256sum pyproject.toml | cut -d' ' -f1)"
have_hash="$(cat "$MARKER" 2>/dev/null || true)"
if [ "$want_hash" = "$have_hash" ]; then
    log ".venv aktuell (pyproject.toml unverändert)."
else
    log "pip install -e .[dev] ..."
    rm -f "$MARKER"
    PIP_NO_INPUT=1 "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[dev]"
    printf '%s\n' "$want_hash" >"$MARKER"
    log ".venv installiert."
fi

# --- (c) web assets of the situation map ------------------------------------
"$VENV/bin/python" scripts/fetch_web_assets.py || die "web assets (Leaflet) could not be fetched"
