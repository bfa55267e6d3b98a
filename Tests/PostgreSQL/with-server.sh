#!/usr/bin/env bash
# Runs a command beside a private PostgreSQL server: initdb in a temporary folder as the
# unprivileged `postgres` user, listening on 127.0.0.1 on a free port and on a socket in that
# folder, stopped and removed when the command ends. No system service is used or touched.
#
# The command gets COREGATE_TEST_POSTGRESQL (a `store` URL for the role `coregate`, which may
# create databases) and COREGATE_TEST_POSTGRESQL_PASSWORD (its password, checked with SCRAM).
#
#   Tests/PostgreSQL/with-server.sh make unit e2e
set -euo pipefail

bin=${POSTGRES_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
owner=${POSTGRES_USER:-postgres}
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }

dir=$(mktemp -d /tmp/coregate-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown "$owner" "$dir"
stop() {
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT

password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" > "$dir/password"
[ "$(id -u)" = 0 ] && chown "$owner" "$dir/password"
as_owner "$bin/initdb" -D "$dir/data" -U coregate --pwfile="$dir/password" --auth=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# Tests open many databases and connections at once (two nodes, the CLI, the suites).
as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=300 -c shared_buffers=64MB" \
    >/dev/null || { cat "$dir/server.log"; exit 1; }

export COREGATE_TEST_POSTGRESQL="postgresql://coregate@127.0.0.1:$port/postgres"
export COREGATE_TEST_POSTGRESQL_PASSWORD="$password"
echo "private PostgreSQL at 127.0.0.1:$port ($dir)" >&2
"$@"
