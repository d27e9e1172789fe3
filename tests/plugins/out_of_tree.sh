#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# out_of_tree.sh BUILD_DIR PLUGIN_HOST
# A third party's plugin: install the SDK from BUILD_DIR into a temporary prefix, build
# sdk/examples/starter against it with find_package(CrowdwallSDK) in its own build tree, run
# its unit test, then load and run it on the daemon side (plugin loader + Sources, through an
# acquis.yaml entry) and check the lines that arrive.
set -eu
build=$1
host=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/cw-oot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"

cmake --install "$build" --component sdk --prefix "$tmp/prefix" >/dev/null
test -f "$tmp/prefix/include/cw/sdk/abi.h"
cmake -S "$src/sdk/examples/starter" -B "$tmp/build" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
      -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$tmp/build" >/dev/null
ctest --test-dir "$tmp/build" --output-on-failure >/dev/null

# The plugin folder and its index, as the hub would install them (0755, owned by us).
mkdir -m 755 "$tmp/plugins"
cp "$tmp/build/cw-acquisition-starter.so" "$tmp/plugins/"
chmod 755 "$tmp/plugins/cw-acquisition-starter.so"
sum=$(sha256sum "$tmp/plugins/cw-acquisition-starter.so" | cut -d' ' -f1)
cat > "$tmp/plugins/index.json" <<JSON
{"plugins": {"example/starter": {"kind": "acquisition", "version": "1.0", "abi": "1.0",
  "platform": "linux-$(uname -m)", "sha256": "$sum", "file": "cw-acquisition-starter.so"}}}
JSON
cat > "$tmp/acquis.yaml" <<YAML
source: starter
mode: cat
message: third party
count: 3
interval_ms: 1
labels:
  type: starter-log
YAML

"$host" "$tmp/acquis.yaml" "$tmp/plugins" "$tmp/plugins/index.json" > "$tmp/out" 2>"$tmp/err" || {
  cat "$tmp/err" >&2
  exit 1
}
grep -v '^\[' "$tmp/out" > "$tmp/got" || true
cat > "$tmp/want" <<OUT
starter starter starter-log third party 1
starter starter starter-log third party 2
starter starter starter-log third party 3
stats starter:$tmp/acquis.yaml:1 lines=3 dropped=0 errors=0
OUT
if ! diff -u "$tmp/want" "$tmp/got"; then
  echo "out_of_tree: the starter plugin's lines differ" >&2
  exit 1
fi

# A tampered copy is refused with the digest message, and nothing runs.
printf 'x' >> "$tmp/plugins/cw-acquisition-starter.so"
if "$host" "$tmp/acquis.yaml" "$tmp/plugins" "$tmp/plugins/index.json" > "$tmp/out" 2>"$tmp/err"; then
  echo "out_of_tree: a tampered plugin was loaded" >&2
  exit 1
fi
grep -q "cw-acquisition-starter.so (example/starter): sha256 mismatch: index says $sum" "$tmp/err"
echo "out_of_tree: SDK installed, starter built with find_package, loaded and run: 3 lines"
