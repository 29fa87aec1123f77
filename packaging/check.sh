#!/usr/bin/env bash
# Packaging checks, run by .ci/run after the tests (reusing their target directory, so the
# release build is shared and `cargo install` does not compile from scratch):
#
#   1. the pinned MCPB CLI and library (packaging/npm/package-lock.json) into a temp prefix;
#   2. packaging/build-mcpb.sh: the release binary, `mcpb validate`, `mcpb pack`,
#      dist/klarna-mcp-<version>-<os>-<arch>.mcpb and dist/server.json;
#   3. `cargo install --locked --path .` and `--git` (this repository's HEAD) into temp roots;
#   4. packaging/test/*.test.mjs (node --test): the bundle unpacked and started as an MCPB
#      host starts it (blank form, --demo, filled-in form), dist/server.json, the icon, and
#      the installed binaries answering --version and a demo initialize.
#
# Needs the Rust toolchain, Node.js >= 20 and npm, and the package registries (crates.io,
# npm); nothing else. The server.json schema check and the manifest-vs-server check also run
# without Node, in `cargo test` (tests/stdio/packaging.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== packaging: MCPB CLI (pinned in packaging/npm/package-lock.json, temp prefix)"
export MCPB_TOOLS_DIR="$work/npm"
mkdir -p "$MCPB_TOOLS_DIR"
cp packaging/npm/package.json packaging/npm/package-lock.json "$MCPB_TOOLS_DIR/"
(cd "$MCPB_TOOLS_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)

echo "== packaging: Claude Desktop bundle (packaging/build-mcpb.sh)"
packaging/build-mcpb.sh | tee "$work/build.log"
bundle="$(sed -n 's/^bundle: //p' "$work/build.log")"

echo "== packaging: cargo install --locked --path . / --git (temp roots)"
cargo install --locked --path . --root "$work/install-path"
installed="$work/install-path/bin/klarna-mcp"
if git rev-parse --verify --quiet HEAD > /dev/null; then
    # The committed HEAD, as `cargo install --git <url>` gets it. Last: a --git install moves
    # the release binary out of the target directory, so it is rebuilt (relinked) afterwards.
    cargo install --locked --git "file://$PWD" --rev "$(git rev-parse HEAD)" --root "$work/install-git"
    installed="$installed:$work/install-git/bin/klarna-mcp"
    cargo build --release --locked
else
    echo "(not a git checkout: cargo install --git skipped)"
fi

echo "== packaging: tests (node --test packaging/test/)"
KLARNA_MCPB_BUNDLE="$bundle" KLARNA_MCPB_SERVER_JSON=dist/server.json KLARNA_MCP_INSTALLED="$installed" \
    node --test packaging/test/*.test.mjs
