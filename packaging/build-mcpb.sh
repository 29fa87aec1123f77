#!/usr/bin/env bash
# Packs a Claude Desktop bundle (.mcpb) around one klarna-mcp binary:
#
#   packaging/build-mcpb.sh
#       builds the release binary for this machine, writes its licence notices
#       (packaging/licenses/notices.sh), and packs dist/klarna-mcp-<version>-<os>-<arch>.mcpb
#       and dist/server.json (packaging/server.json with that bundle's file name and SHA-256)
#   packaging/build-mcpb.sh --archive target/distrib/klarna-mcp-<target>.tar.xz [--out-dir DIR]
#       packs the binary and THIRD-PARTY-LICENSES.txt of a release archive (what the release
#       workflow does for each platform; .zip for Windows), without building anything
#
# The bundle is reproducible: the same binary and notices give the same bytes (entries in
# order, timestamps SOURCE_DATE_EPOCH — by default the last commit's time — fixed modes; see
# packaging/mcpb/bundle.mjs). `mcpb validate` checks the staged manifest. Needs Node.js and
# npm; the MCPB CLI and fflate are installed at the versions pinned in
# packaging/npm/package-lock.json into a temporary directory (or taken from
# $MCPB_TOOLS_DIR/node_modules, as packaging/check.sh does). Honours CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

archive="" out_dir=dist
while [[ $# -gt 0 ]]; do
    case "$1" in
        --archive) archive="$2"; shift 2 ;;
        --out-dir) out_dir="$2"; shift 2 ;;
        *) echo "usage: packaging/build-mcpb.sh [--archive FILE] [--out-dir DIR]" >&2; exit 2 ;;
    esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ -z "${MCPB_TOOLS_DIR:-}" ]]; then
    MCPB_TOOLS_DIR="$work/npm"
    mkdir -p "$MCPB_TOOLS_DIR"
    cp packaging/npm/package.json packaging/npm/package-lock.json "$MCPB_TOOLS_DIR/"
    (cd "$MCPB_TOOLS_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
export MCPB_TOOLS_DIR
mcpb="$MCPB_TOOLS_DIR/node_modules/.bin/mcpb"
echo "mcpb $("$mcpb" --version)"
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]] && git rev-parse --verify --quiet HEAD > /dev/null 2>&1; then
    SOURCE_DATE_EPOCH="$(git log -1 --format=%ct)"
fi
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-315532800}"

version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
if [[ -n "$archive" ]]; then
    # klarna-mcp-<target>.tar.xz or .zip, as dist names them: binary, notices, LICENSE, README.
    name="$(basename "$archive")"
    target="${name#klarna-mcp-}"
    target="${target%.tar.xz}"
    target="${target%.zip}"
    mkdir -p "$work/archive"
    case "$name" in
        *.tar.xz) tar -xJf "$archive" -C "$work/archive" ;;
        *.zip) node -e '
            const [tools, zip, dir] = process.argv.slice(1);
            const { unzipSync } = require(require("node:path").join(tools, "node_modules", "fflate"));
            const fs = require("node:fs"), path = require("node:path");
            for (const [file, data] of Object.entries(unzipSync(fs.readFileSync(zip)))) {
                if (file.endsWith("/")) continue;
                fs.mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
                fs.writeFileSync(path.join(dir, file), data);
            }' "$MCPB_TOOLS_DIR" "$archive" "$work/archive" ;;
        *) echo "build-mcpb.sh: $archive is not a dist archive (.tar.xz or .zip)" >&2; exit 2 ;;
    esac
    exe=""
    [[ "$target" == *-windows-* ]] && exe=".exe"
    binary="$(find "$work/archive" -type f -name "klarna-mcp$exe" | head -1)"
    notices="$(find "$work/archive" -type f -name THIRD-PARTY-LICENSES.txt | head -1)"
    [[ -n "$binary" && -n "$notices" ]] || { echo "build-mcpb.sh: $archive lacks klarna-mcp$exe or THIRD-PARTY-LICENSES.txt" >&2; exit 1; }
else
    cargo build --release --locked
    target="$(rustc -vV | sed -n 's/^host: //p')"
    exe=""
    [[ "$target" == *-windows-* ]] && exe=".exe"
    binary="${CARGO_TARGET_DIR:-target}/release/klarna-mcp$exe"
    notices="$work/THIRD-PARTY-LICENSES.txt"
    packaging/licenses/notices.sh "$notices"
fi

arch="${target%%-*}"
case "$target" in
    *-linux-*) os=linux platform=linux ;;
    *-apple-darwin) os=macos platform=darwin ;;
    *-windows-*) os=windows platform=win32 ;;
    *) echo "build-mcpb.sh: no MCPB platform for target $target" >&2; exit 1 ;;
esac

node packaging/mcpb/bundle.mjs stage "$binary" "$work/bundle" "$platform" "$version" "$notices"
"$mcpb" validate "$work/bundle"
mkdir -p "$out_dir"
bundle="$out_dir/klarna-mcp-$version-$os-$arch.mcpb"
node packaging/mcpb/bundle.mjs pack "$work/bundle" "$bundle"
if [[ -z "$archive" ]]; then
    node packaging/mcpb/bundle.mjs server-json "$out_dir/server.json" "$bundle"
fi
echo "bundle: $bundle"
