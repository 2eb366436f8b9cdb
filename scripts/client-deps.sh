#!/usr/bin/env bash
# Installs the real PostgreSQL clients the client smoke tests (tests/clients)
# and `omendb bench pgbench` drive: psql and pgbench, a JDK with the Debian
# PostgreSQL JDBC driver, python3-psycopg2 and python3-sqlalchemy (whose
# PostgreSQL inspector tests/clients compares with PostgreSQL's), node with
# npm's pg; pg_dump comes with postgresql-client-15. Idempotent:
# apt-get update runs once, and only when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in libpostgresql-jdbc-java python3 python3-psycopg2 python3-sqlalchemy; do
	have "$p" || need+=("$p")
done
command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
# node and npm may come from NodeSource's nodejs package (which bundles npm
# and conflicts with Debian's npm): install Debian's only without them.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
# Any JDK with javac will do; install the headless default only without one.
if ! command -v javac >/dev/null 2>&1; then
	need+=(default-jdk-headless)
fi
# pgbench ships in postgresql-contrib on older Debian releases.
if ! command -v pgbench >/dev/null 2>&1 && ! have postgresql-15; then
	need+=(postgresql-15)
fi
if ((${#need[@]})); then
	SUDO=""
	if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
	echo "client-deps: installing ${need[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# node-postgres, pinned by tests/clients/node/package-lock.json.
if [ ! -d tests/clients/node/node_modules/pg ]; then
	(cd tests/clients/node && npm ci --no-audit --no-fund --silent)
fi
echo "client-deps: ok"
