#!/usr/bin/env bash
# Builds the release binary and packs it as a Claude Desktop bundle with the official MCPB CLI:
#
#   packaging/build-mcpb.sh
#
# writes dist/klarna-mcp-<version>-<os>-<arch>.mcpb (for the machine it runs on) and
# dist/server.json (packaging/server.json with that bundle's file name and SHA-256, for the
# MCP Registry). Needs the Rust toolchain, Node.js and npm; @anthropic-ai/mcpb is installed
# at the version pinned in packaging/npm/package-lock.json into a temporary directory (or
# taken from $MCPB_TOOLS_DIR/node_modules, as packaging/check.sh does). Honours
# CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -z "${MCPB_TOOLS_DIR:-}" ]]; then
    MCPB_TOOLS_DIR="$work/npm"
    mkdir -p "$MCPB_TOOLS_DIR"
    cp packaging/npm/package.json packaging/npm/package-lock.json "$MCPB_TOOLS_DIR/"
    (cd "$MCPB_TOOLS_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
mcpb="$MCPB_TOOLS_DIR/node_modules/.bin/mcpb"
echo "mcpb $("$mcpb" --version)"

cargo build --release --locked
target_dir="${CARGO_TARGET_DIR:-target}"
version="$(cargo metadata --no-deps --format-version 1 --locked |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).packages.find(p=>p.name==="klarna-mcp").version))')"

host="$(rustc -vV | sed -n 's/^host: //p')"
arch="${host%%-*}"
case "$host" in
    *-linux-*) os=linux platform=linux exe="" ;;
    *-apple-darwin) os=macos platform=darwin exe="" ;;
    *-windows-*) os=windows platform=win32 exe=".exe" ;;
    *) echo "build-mcpb.sh: no MCPB platform for host $host" >&2; exit 1 ;;
esac

node packaging/mcpb/bundle.mjs stage "$target_dir/release/klarna-mcp$exe" "$work/bundle" "$platform" "$version"
"$mcpb" validate "$work/bundle"
mkdir -p dist
bundle="dist/klarna-mcp-$version-$os-$arch.mcpb"
"$mcpb" pack "$work/bundle" "$bundle"
node packaging/mcpb/bundle.mjs server-json "$bundle" dist/server.json
echo "bundle: $bundle"
