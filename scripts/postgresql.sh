# A throwaway PostgreSQL cluster for the tests: sourced, not run.
# start_throwaway_postgresql creates a cluster in a temporary folder,
# listening on 127.0.0.1 on a free port, exports TRYTOND_DATABASE_URI and
# stops and removes the cluster when the calling shell exits.

_pg_bindir() {
    local dir
    if command -v pg_config >/dev/null 2>&1 \
            && [ -x "$(pg_config --bindir)/initdb" ]; then
        pg_config --bindir
        return
    fi
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && echo "$dir"
    done | sort -V | tail -n 1
}

start_throwaway_postgresql() {
    local bindir port
    bindir=$(_pg_bindir)
    if [ -z "$bindir" ]; then
        if [ "$(id -u)" = 0 ]; then
            echo "Installing PostgreSQL from Debian" >&2
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
                postgresql >/dev/null
            bindir=$(_pg_bindir)
        else
            echo "PostgreSQL (initdb) is not installed" >&2
            return 1
        fi
    fi
    PG_DIR=$(mktemp -d /tmp/crm_plus-pg.XXXXXX)
    port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # initdb and postgres refuse to run as root.
    local run_as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$PG_DIR"
        run_as=(runuser -u postgres --)
    fi
    "${run_as[@]}" "$bindir/initdb" -D "$PG_DIR/data" -U postgres \
        -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    # Durability is worthless for a cluster thrown away after the run.
    "${run_as[@]}" "$bindir/pg_ctl" -D "$PG_DIR/data" -w -s \
        -l "$PG_DIR/server.log" \
        -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start
    PG_BINDIR=$bindir
    PG_RUN_AS=("${run_as[@]}")
    trap stop_throwaway_postgresql EXIT
    export PATH=$bindir:$PATH
    export TRYTOND_DATABASE_URI=postgresql://postgres@127.0.0.1:$port/
    echo "PostgreSQL cluster on 127.0.0.1:$port in $PG_DIR" >&2
}

stop_throwaway_postgresql() {
    if [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ]; then
        "${PG_RUN_AS[@]}" "$PG_BINDIR/pg_ctl" -D "$PG_DIR/data" -w -s \
            -m immediate stop || true
        rm -rf "$PG_DIR"
    fi
}
