# Sourced: finds or builds the official Temporal CLI and exports TEMPORAL_CLI_PATH.
# Order: $TEMPORAL_CLI_PATH, `temporal` on PATH, the cached build, then `go install` of v1.5.1
# (the newest tag whose go.mod has no replace directive, so it can be go-installed offline from the module proxy).
EBB_TEMPORAL_VERSION=v1.5.1
ebb_cache="${XDG_CACHE_HOME:-$HOME/.cache}/ebb"
ebb_find_temporal() {
  if [ -n "${TEMPORAL_CLI_PATH:-}" ] && [ -x "$TEMPORAL_CLI_PATH" ]; then return 0; fi
  if command -v temporal >/dev/null 2>&1; then TEMPORAL_CLI_PATH="$(command -v temporal)"; export TEMPORAL_CLI_PATH; return 0; fi
  local cached="$ebb_cache/temporal-$EBB_TEMPORAL_VERSION/temporal"
  if [ ! -x "$cached" ]; then
    command -v go >/dev/null 2>&1 || { echo "ebb: no Temporal CLI found and no Go toolchain to build it; set TEMPORAL_CLI_PATH" >&2; return 1; }
    echo "ebb: building the Temporal CLI $EBB_TEMPORAL_VERSION with go install (one time, cached in $ebb_cache)" >&2
    mkdir -p "$(dirname "$cached")"
    (cd /tmp && GOBIN="$(dirname "$cached")" GOFLAGS=-buildvcs=false go install "github.com/temporalio/cli/cmd/temporal@$EBB_TEMPORAL_VERSION" >&2) || return 1
  fi
  TEMPORAL_CLI_PATH="$cached"; export TEMPORAL_CLI_PATH
}
