#!/usr/bin/env bash
# Starts (or stops) the official Temporal CLI dev server for ebb, offline:
#   scripts/temporal-dev.sh start   # frontend 127.0.0.1:7233, Web UI http://localhost:8233, db .ebb/temporal.db
#   scripts/temporal-dev.sh stop
# It registers ebb's custom search attributes, so runs can be filtered in the UI.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
source "$here/lib/temporal.sh"
port="${TEMPORAL_PORT:-7233}"
ui_port="${TEMPORAL_UI_PORT:-8233}"
state="$root/.ebb"
pidfile="$state/temporal.pid"

healthy() { "$TEMPORAL_CLI_PATH" operator cluster health --address "127.0.0.1:$port" >/dev/null 2>&1; }

case "${1:-start}" in
  start)
    ebb_find_temporal
    if healthy; then echo "temporal: already running on 127.0.0.1:$port (UI http://localhost:$ui_port)"; exit 0; fi
    mkdir -p "$state"
    codec=()
    # With payload encryption on, the UI asks the codec server (npm run codec-server) to decode.
    if [ -n "${EBB_CODEC_KEYS:-}${EBB_CODEC_KEYS_FILE:-}" ]; then codec=(--ui-codec-endpoint "${EBB_CODEC_ENDPOINT:-http://127.0.0.1:8888}"); fi
    nohup "$TEMPORAL_CLI_PATH" server start-dev --ip 127.0.0.1 --port "$port" --ui-port "$ui_port" \
      --db-filename "$state/temporal.db" --log-level warn \
      --search-attribute EbbSync=Keyword --search-attribute EbbStatus=Keyword --search-attribute EbbRowsChanged=Int "${codec[@]}" \
      >"$state/temporal.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 120); do
      if healthy; then echo "temporal: dev server up on 127.0.0.1:$port, Web UI http://localhost:$ui_port (log $state/temporal.log)"; exit 0; fi
      sleep 0.5
    done
    echo "temporal: dev server did not become healthy; log:" >&2; tail -20 "$state/temporal.log" >&2; exit 1
    ;;
  stop)
    if [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; then echo "temporal: stopped"; else echo "temporal: not running"; fi
    rm -f "$pidfile"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
