#!/usr/bin/env bash
# `npm run bench`: sets up like `npm test`, then runs bench/run.ts (EBB_BENCH_ROWS=N to resize).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/node.sh"
source "$here/lib/temporal.sh"
source "$here/lib/postgres.sh"
cd "$ebb_root"
ebb_npm_ci
ebb_find_temporal
ebb_ensure_postgres
exec node --import tsx bench/run.ts "$@"
