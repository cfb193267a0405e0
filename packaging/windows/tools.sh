#!/usr/bin/env bash
# Debian packages the Windows build needs (only the missing ones are installed):
#   msitools + wixl (MSI tables and wixl), mingw-w64 (the launchers), osslsigncode (signing).
# With --wine also Wine, for the install/upgrade/uninstall smoke test (64-bit only: no i386).
set -euo pipefail

log() { printf '[msi-tools] %s\n' "$*"; }
export DEBIAN_FRONTEND=noninteractive

PACKAGES=(msitools wixl gcc-mingw-w64-x86-64-win32 binutils-mingw-w64-x86-64 osslsigncode)
if [ "${1:-}" = "--wine" ]; then
    PACKAGES+=(wine wine64)
fi

SUDO=()
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
fi

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${db:Status-Status}\n' "$p" 2>/dev/null | grep -qx installed; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    log "vollständig."
    exit 0
fi
log "apt-get install ${missing[*]} ..."
out="$(mktemp)"
if ! { "${SUDO[@]}" apt-get update -q && "${SUDO[@]}" apt-get install -y -q --no-install-recommends \
        -o Dpkg::Use-Pty=0 "${missing[@]}"; } </dev/null >"$out" 2>&1; then
    tail -n 40 "$out" >&2
    rm -f "$out"
    log "FEHLER: apt-get failed"
    exit 1
fi
rm -f "$out"
log "installiert."
