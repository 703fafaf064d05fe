# Sourced: finds or builds goccy's BigQuery emulator and exports EBB_BIGQUERY_EMULATOR_PATH.
# Order: $EBB_BIGQUERY_EMULATOR_PATH, the cached build, then a `go build` of the pinned tag.
# The emulator embeds googlesqlite (GoogleSQL and SQLite translated to pure Go), a large build:
# about 5.5 minutes cold on 2 shared CPUs, once per machine, cached under $XDG_CACHE_HOME/ebb.
# No C compiler is needed.
EBB_BIGQUERY_EMULATOR_VERSION="${EBB_BIGQUERY_EMULATOR_VERSION:-v0.8.1}"
ebb_ensure_bigquery_emulator() {
  if [ -n "${EBB_BIGQUERY_EMULATOR_PATH:-}" ] && [ -x "$EBB_BIGQUERY_EMULATOR_PATH" ]; then return 0; fi
  local cache="${XDG_CACHE_HOME:-$HOME/.cache}/ebb"
  local cached="$cache/bigquery-emulator-$EBB_BIGQUERY_EMULATOR_VERSION/bigquery-emulator"
  if [ ! -x "$cached" ]; then
    command -v go >/dev/null 2>&1 || { echo "ebb: no BigQuery emulator found and no Go toolchain to build it; set EBB_BIGQUERY_EMULATOR_PATH" >&2; return 1; }
    echo "ebb: building bigquery-emulator $EBB_BIGQUERY_EMULATOR_VERSION with go build (one time, several minutes, cached in $cache)" >&2
    mkdir -p "$(dirname "$cached")"
    # Not a plain `go install pkg@v`:
    # the module proxy serves this module's versions but refuses its version list, and
    # `go install pkg@version` asks for that list (deprecation check). A throwaway module that
    # requires the exact version and builds the command resolves the same versions without it.
    local work; work="$(mktemp -d /tmp/ebb-bigquery-emulator.XXXXXX)"
    (cd "$work" && printf 'module ebb/bigquery-emulator-build\n\ngo 1.25.0\n\nrequire github.com/goccy/bigquery-emulator %s\n' "$EBB_BIGQUERY_EMULATOR_VERSION" > go.mod \
      && GOFLAGS="-mod=mod -buildvcs=false" go build -o "$cached" github.com/goccy/bigquery-emulator/cmd/bigquery-emulator >&2)
    local rc=$?
    rm -rf "$work"
    [ $rc -eq 0 ] || { rm -f "$cached"; return 1; }
  fi
  EBB_BIGQUERY_EMULATOR_PATH="$cached"; export EBB_BIGQUERY_EMULATOR_PATH
}
