#!/usr/bin/env bash
# Build the Windows installer on Linux (Debian 12/13):
#
#   bash packaging/windows/build.sh [--version X.Y.Z] [--vlc-zip FILE | --vlc-download] [--out DIR]
#
# Writes build/windows/dist/KOD-Leitstelle-X.Y.Z-x64.msi (and a .json with size, file count,
# VLC runtime and signature state). Without --vlc-zip/--vlc-download the VLC folder is a
# stand-in (test build). Signing: KOD_SIGN_PKCS12=cert.pfx [KOD_SIGN_PASSWORD_FILE=...]
# [KOD_SIGN_TIMESTAMP_URL=...]. See packaging/README.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash packaging/windows/tools.sh
bash scripts/setup.sh >/dev/null
PY="$ROOT/.venv/bin/python"
"$PY" -m pip install -q --disable-pip-version-check -r packaging/windows/requirements-check.txt
exec "$PY" packaging/windows/build.py "$@"
