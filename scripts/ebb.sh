#!/usr/bin/env bash
# The `ebb` command: runs the CLI on Node 22+ from the repository.
set -euo pipefail
source "$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)/lib/node.sh"
exec node --import tsx "$ebb_root/scripts/cli/main.ts" "$@"
