#!/usr/bin/env bash
# as_postgres.sh COMMAND...: PostgreSQL refuses to run as root, so as root COMMAND runs as the
# `postgres` user (Debian's package creates it); as anyone else it runs as that user. setpriv, not
# runuser: it execs COMMAND, whereas runuser stays its parent and SIGKILLs it 2 s after a SIGTERM,
# which would cut PostgreSQL's shutdown short.
set -euo pipefail
if [ "$(id -u)" = 0 ]; then
  exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
fi
exec "$@"
