#!/usr/bin/env bash
# Make sure a PostgreSQL server (Debian's postgresql package) accepts connections on
# 127.0.0.1:5432 and that the test role and database exist:
#   role kod / password kod (LOGIN, CREATEDB, CREATEROLE, member of pg_signal_backend), database
#   kod_test owned by kod. kod owns the test databases like kod_owner owns a production one
#   (README): it creates the group roles and the person logins, and ends a disabled login's
#   sessions.
# Idempotent; starts or creates the cluster when needed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

HOST=127.0.0.1
PORT=5432
ROLE=kod
PASSWORD=kod
DB=kod_test
URL="postgresql://$ROLE:$PASSWORD@$HOST:$PORT/$DB"

log() { printf '[postgres] %s\n' "$*"; }
die() { printf '[postgres] FEHLER: %s\n' "$*" >&2; exit 1; }

# Libpq settings from the caller's environment must not redirect our connections.
unset PGHOST PGHOSTADDR PGPORT PGUSER PGDATABASE PGPASSWORD PGPASSFILE PGSERVICE \
    PGSERVICEFILE PGOPTIONS PGSSLMODE PGTARGETSESSIONATTRS 2>/dev/null || true

for tool in pg_isready psql pg_ctlcluster pg_lsclusters; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (run scripts/setup.sh first)"
done

# Run a command as root (for pg_ctlcluster) or as the postgres OS user (for psql).
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        "$@"
    fi
}
as_postgres() {
    # cd / so that the postgres user is not left in an unreadable working directory
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    elif [ "$(id -un)" = postgres ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        (cd / && sudo -u postgres -- "$@")
    else
        # last resort: works where 127.0.0.1 has trust authentication
        "$@" -h "$HOST" -U postgres
    fi
}

ready() { pg_isready -q -h "$HOST" -p "$PORT" >/dev/null 2>&1; }

# --- server ------------------------------------------------------------------
if ready; then
    log "Server läuft auf $HOST:$PORT."
else
    # The cluster configured for port 5432; else the newest version's "main" cluster
    # (created if missing). pg_lsclusters -h prints: version cluster port status ...
    ver=""
    name=""
    cport=""
    while read -r v c p _; do
        if [ "$p" = "$PORT" ]; then ver="$v"; name="$c"; cport="$p"; fi
    done < <(pg_lsclusters -h 2>/dev/null || true)
    if [ -z "$ver" ]; then
        # shellcheck disable=SC2012 # version directories have plain names
        ver="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1 || true)"
        name=main
        if [ -z "$ver" ] || [ ! -x "/usr/lib/postgresql/$ver/bin/postgres" ]; then
            # shellcheck disable=SC2012
            ver="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -1 || true)"
        fi
        [ -n "$ver" ] || die "no PostgreSQL server installed (run scripts/setup.sh first)"
        while read -r v c p _; do
            if [ "$v" = "$ver" ] && [ "$c" = "$name" ]; then cport="$p"; fi
        done < <(pg_lsclusters -h 2>/dev/null || true)
    fi

    if [ -z "$cport" ]; then
        log "Lege Cluster $ver/$name auf Port $PORT an ..."
        as_root pg_createcluster "$ver" "$name" --port "$PORT" >/dev/null
    elif [ "$cport" != "$PORT" ]; then
        # e.g. created while another server held 5432: move it to 5432
        log "Cluster $ver/$name ist für Port $cport konfiguriert; stelle auf $PORT um ..."
        if as_root pg_ctlcluster "$ver" "$name" status >/dev/null 2>&1; then
            as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" stop
        fi
        as_root pg_conftool "$ver" "$name" set port "$PORT"
    fi

    if as_root pg_ctlcluster "$ver" "$name" status >/dev/null 2>&1; then
        log "Cluster $ver/$name läuft, warte auf Verbindungen ..."
    else
        log "Starte Cluster $ver/$name ..."
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start
    fi

    for _ in $(seq 1 60); do
        ready && break
        sleep 0.5
    done
    if ! ready; then
        pg_lsclusters >&2 || true
        die "server not ready on $HOST:$PORT after 30 s"
    fi
    log "Server läuft auf $HOST:$PORT."
fi

# --- role and database ---------------------------------------------------------
psql_admin() {
    as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" -d postgres "$@"
}

psql_admin <<SQL
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '$ROLE') THEN
        CREATE ROLE $ROLE LOGIN CREATEDB CREATEROLE PASSWORD '$PASSWORD';
    ELSE
        ALTER ROLE $ROLE LOGIN CREATEDB CREATEROLE PASSWORD '$PASSWORD';
    END IF;
END
\$\$;
GRANT pg_signal_backend TO $ROLE;
SQL

if [ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    log "Lege Datenbank $DB an ..."
    psql_admin -c "CREATE DATABASE $DB OWNER $ROLE"
else
    psql_admin -c "ALTER DATABASE $DB OWNER TO $ROLE"
fi

if ! PGPASSWORD="$PASSWORD" PGCONNECT_TIMEOUT=10 \
    psql -X -q -h "$HOST" -p "$PORT" -U "$ROLE" -d "$DB" -tA -c 'select 1' >/dev/null; then
    die "cannot log in as $ROLE on $HOST:$PORT/$DB (check pg_hba.conf)"
fi
log "OK: $URL"
