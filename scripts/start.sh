#!/usr/bin/env bash
# Start the KOD-Leitstelle workstation.
#
#   scripts/start.sh [arguments for kod-leitstelle...]
#
# Sets up the machine (scripts/setup.sh), creates or migrates the database (by default
# the per-user SQLite file; KOD_DATABASE_URL selects another), adds demo data on the
# first start, then starts the application.
# Without a display (DISPLAY empty) set KOD_HEADLESS=1 to run under a virtual X server.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

BIN="$ROOT/.venv/bin"
if [ ! -d "$BIN" ] && [ -d "$ROOT/.venv/Scripts" ]; then
    BIN="$ROOT/.venv/Scripts" # venv made by a Windows Python
fi

wrap=()
case "$(uname -s)" in
    MINGW* | MSYS* | CYGWIN*)
        ;; # Windows: no X display needed
    *)
        if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
            if [ "${KOD_HEADLESS:-}" = 1 ]; then
                echo "Kein Bildschirm (DISPLAY leer): KOD_HEADLESS=1, starte unter xvfb-run."
                wrap=(xvfb-run -a -s "-screen 0 1600x1000x24")
            else
                echo "Hinweis: Kein Bildschirm gefunden (DISPLAY ist leer)." >&2
                echo "  Bitte in einer grafischen Sitzung starten, oder mit KOD_HEADLESS=1" >&2
                echo "  unter einem virtuellen X-Server (xvfb-run) laufen lassen." >&2
            fi
        fi
        ;;
esac

# Bring the database schema up to date (creates the SQLite file on the first start,
# migrates it after an update), then add demo data if it has no incidents yet.
"$BIN/kod-admin" db upgrade
"$BIN/kod-demo" --if-empty
echo "Die Befehle kod-admin, kod-demo und kod-leitstelle liegen in $BIN:"
echo "  source .venv/bin/activate   (dann z. B. kod-admin user list)"
exec "${wrap[@]}" "$BIN/kod-leitstelle" "$@"
