#!/usr/bin/env bash
# `npm run demo`: the main job on the embedded default, from a fresh clone.
# Sets up Node 22 and dependencies, provisions and starts the Temporal dev server (Web UI on
# :8233), seeds a 100k-customer DuckDB warehouse, and runs the sample sync twice.
# Set EBB_DEMO_PG_URL=postgres://… to add a PostgreSQL table destination.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/node.sh"
cd "$ebb_root"
ebb_npm_ci
"$here/temporal-dev.sh" start
exec node --import tsx scripts/demo/main.ts "$@"
