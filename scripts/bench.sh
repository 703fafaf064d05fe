#!/usr/bin/env bash
# `npm run bench`: sets up like `npm test`, then runs bench/run.ts (EBB_BENCH_ROWS=N to resize).
# `npm run bench -- diff`: bench/warehouse-diff.ts, the in-warehouse diff from 10k to 10M rows
# (EBB_BENCH_DIFF_ROWS=10000,1000000 to choose the sizes).
# `npm run bench -- read redshift|bigquery N [fetchSize]`: bench/warehouse-read.ts, rows/s reading N rows through a source.
# `npm run bench -- hubspot`: bench/hubspot.ts, 100k rows into the local HubSpot server at 190 calls / 10 s.
# `npm run bench -- plan [rows]`: bench/plan.ts, the plan step alone (staging and diff), per phase.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/node.sh"
source "$here/lib/temporal.sh"
source "$here/lib/postgres.sh"
cd "$ebb_root"
ebb_npm_ci
ebb_find_temporal
ebb_ensure_postgres
if [ "${1:-}" = diff ]; then shift; exec node --import tsx bench/warehouse-diff.ts "$@"; fi
if [ "${1:-}" = read ]; then shift; source "$here/lib/bigquery-emulator.sh"; ebb_ensure_bigquery_emulator; exec node --import tsx bench/warehouse-read.ts "$@"; fi
if [ "${1:-}" = plan ]; then shift; exec node --import tsx bench/plan.ts "$@"; fi
if [ "${1:-}" = hubspot ]; then shift; exec node --import tsx bench/hubspot.ts "$@"; fi
exec node --import tsx bench/run.ts "$@"
