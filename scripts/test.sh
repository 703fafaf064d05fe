#!/usr/bin/env bash
# `npm test`: sets up what the tests need (idempotently), then type-checks, lints and runs every test.
#   - Node 22+ (from the npm registry's node@22 package if the machine's node is older)
#   - node_modules (npm ci)
#   - the official Temporal CLI (found, cached, or go-installed: scripts/lib/temporal.sh)
#   - a PostgreSQL server (EBB_TEST_PG_URL, or a private cluster: scripts/lib/postgres.sh)
#   - the Compose Specification schema, to validate docker-compose.yml (scripts/lib/compose-schema.sh)
#   - goccy's BigQuery emulator, built from the Go module proxy (scripts/lib/bigquery-emulator.sh)
# Pass test files to run only those: npm test -- test/e2e/crash.test.ts
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/node.sh"
source "$here/lib/temporal.sh"
source "$here/lib/postgres.sh"
source "$here/lib/compose-schema.sh"
source "$here/lib/bigquery-emulator.sh"
cd "$ebb_root"
ebb_npm_ci
ebb_find_temporal
ebb_ensure_postgres
ebb_compose_schema
ebb_ensure_bigquery_emulator
echo "node $(node --version) · temporal $("$TEMPORAL_CLI_PATH" --version | head -1) · $(psql "$EBB_TEST_PG_URL" -Atc 'select version()' | cut -d' ' -f1-2)"

if [ "$#" -eq 0 ]; then
  echo "== typecheck"; npx tsc --noEmit -p .
  echo "== lint"; npx eslint .
  set -- 'domain/**/*.test.ts' 'state/**/*.test.ts' 'connectors/**/*.test.ts' 'runner/**/*.test.ts' 'activities/**/*.test.ts' 'worker/**/*.test.ts' 'scripts/**/*.test.ts' 'test/**/*.test.ts'
fi
echo "== tests"
exec node --import tsx --test --test-concurrency=1 --test-timeout=900000 "$@"
