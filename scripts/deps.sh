#!/usr/bin/env bash
# Installs what OmenDB's build and tests need on a fresh Debian machine:
# PostgreSQL 15 (server for the differential and CDC tests, psql and pgbench
# as real clients). Go modules come from the module proxy via `go`.
# Idempotent: does nothing when everything is present.
set -euo pipefail
need=()
command -v pg_config >/dev/null 2>&1 || need+=(postgresql-15)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
if [ -x "$(command -v pg_config 2>/dev/null)" ] && [ ! -x "$(pg_config --bindir)/initdb" ]; then
  need+=(postgresql-15)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
id postgres >/dev/null 2>&1 || { echo "deps: the postgres OS user is missing" >&2; exit 1; }
