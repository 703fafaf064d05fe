# Sourced: exports EBB_COMPOSE_SCHEMA, the Compose Specification's JSON Schema, taken from the
# compose-spec/compose-go module through the Go module proxy (these machines have no Docker
# engine to run `docker compose config`, and no internet beyond the package registries).
ebb_compose_schema() {
  local version="v2.4.8" dir
  if [ -n "${EBB_COMPOSE_SCHEMA:-}" ] && [ -f "$EBB_COMPOSE_SCHEMA" ]; then return 0; fi
  dir="$(cd /tmp && go mod download -json "github.com/compose-spec/compose-go/v2@$version" 2>/dev/null | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  if [ -z "$dir" ] || [ ! -f "$dir/schema/compose-spec.json" ]; then
    echo "ebb: could not fetch the Compose schema (github.com/compose-spec/compose-go/v2@$version) from the Go module proxy" >&2
    return 1
  fi
  export EBB_COMPOSE_SCHEMA="$dir/schema/compose-spec.json"
}
