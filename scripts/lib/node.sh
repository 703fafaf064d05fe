# Sourced by the shell entry points: puts Node 22+ first on PATH.
# Node 20 is past end of life and the client libraries' current majors need 22, so where the
# machine's node is older we take the official binary from the npm registry's node@22 package.
ebb_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ebb_node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ -x "$ebb_root/.tools/node_modules/node/bin/node" ]; then
  export PATH="$ebb_root/.tools/node_modules/node/bin:$PATH"
elif [ "$(ebb_node_major)" -lt 22 ]; then
  echo "ebb: node $(node --version 2>/dev/null || echo none) is older than 22; installing node@22 from the npm registry into .tools/" >&2
  npm install --silent --no-audit --no-fund --prefix "$ebb_root/.tools" node@22 >&2
  export PATH="$ebb_root/.tools/node_modules/node/bin:$PATH"
fi
# Install dependencies once per lockfile change.
ebb_npm_ci() {
  local stamp="$ebb_root/node_modules/.ebb-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$ebb_root/package-lock.json" "$stamp"; then
    (cd "$ebb_root" && npm ci --no-audit --no-fund >&2) && cp "$ebb_root/package-lock.json" "$stamp"
  fi
}
