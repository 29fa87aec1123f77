#!/usr/bin/env bash
# Packaging checks, run by .ci/run after the tests (reusing their target directory):
#
#   1. tools: the pinned MCPB CLI and fflate (packaging/npm/package-lock.json) into a temp
#      prefix; cargo-about, cargo-deny and dist at the versions in packaging/tools.sh
#      (compiled once per machine, then reused);
#   2. the dependency policy (deny.toml): licences, duplicate versions, sources; advisories
#      where RustSec's database is reachable (said so, and skipped, where it is not);
#   3. the crate: `cargo publish --dry-run --locked` (packs and builds what crates.io gets);
#   4. the release pipeline for Linux x86_64, end to end: `dist generate --check` (the
#      committed .github/workflows/release.yml is what dist-workspace.toml makes), licence
#      notices, `dist build` (archive, checksums, installer scripts), the archive's checksum,
#      the bundle packed from the archive twice and compared byte for byte, `mcpb validate`,
#      the shell installer run into a temp directory;
#   5. `cargo install --locked --path .` and `--git` (this repository's HEAD) into temp roots;
#   6. packaging/test/*.test.mjs (node --test): the bundle unpacked and started as an MCPB
#      host starts it, its notices, dist/server.json, the icon, and every installed binary
#      (installer, cargo install) answering --version and a demo initialize.
#
# Needs the Rust toolchain, Node.js >= 20 and npm, and the package registries (crates.io,
# npm); nothing else. The server.json schema check and the manifest-vs-server check also run
# without Node, in `cargo test` (tests/stdio/packaging.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
# shellcheck source=packaging/tools.sh
source packaging/tools.sh

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
step() { echo "== packaging: $* ($SECONDS s)"; }

step "tools: MCPB CLI (pinned in packaging/npm/package-lock.json, temp prefix), cargo-about, cargo-deny, dist"
export MCPB_TOOLS_DIR="$work/npm"
mkdir -p "$MCPB_TOOLS_DIR"
cp packaging/npm/package.json packaging/npm/package-lock.json "$MCPB_TOOLS_DIR/"
(cd "$MCPB_TOOLS_DIR" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
ensure_cargo_tool cargo-about "$CARGO_ABOUT_VERSION" cargo-about --features cli
ensure_cargo_tool cargo-deny "$CARGO_DENY_VERSION" cargo-deny
ensure_cargo_tool cargo-dist "$DIST_VERSION" dist

step "dependency policy (deny.toml)"
cargo-deny --locked check licenses bans sources
if timeout 20 git ls-remote https://github.com/rustsec/advisory-db HEAD > /dev/null 2>&1; then
    cargo-deny --locked check advisories
else
    echo "advisories: SKIPPED — RustSec's advisory database (github.com/rustsec/advisory-db) is not reachable from this machine; run \`cargo deny check advisories\` where it is"
fi

step "crate: cargo publish --dry-run --locked"
dirty=()
[[ -z "$(git status --porcelain 2> /dev/null)" ]] || dirty=(--allow-dirty)
cargo publish --dry-run --locked "${dirty[@]}"

step "release pipeline (dist, Linux x86_64)"
dist generate --check
packaging/licenses/notices.sh target/notices/THIRD-PARTY-LICENSES.txt
dist build --artifacts=all --target=x86_64-unknown-linux-gnu --output-format=json > "$work/dist-manifest.json"
distrib="$CARGO_TARGET_DIR/distrib"
archive="$distrib/klarna-mcp-x86_64-unknown-linux-gnu.tar.xz"
(cd "$distrib" && sha256sum --check klarna-mcp-x86_64-unknown-linux-gnu.tar.xz.sha256)
# The listing is read whole before it is searched: `tar … | grep -q` under pipefail fails when
# grep stops reading at the first match and tar is killed writing the rest (SIGPIPE).
listing="$(tar -tJf "$archive")"
grep -qx '[^/]*/THIRD-PARTY-LICENSES.txt' <<< "$listing" || { echo "$archive has no THIRD-PARTY-LICENSES.txt" >&2; exit 1; }

step "bundle from the release archive, twice (reproducible)"
packaging/build-mcpb.sh --archive "$archive" --out-dir "$work/first"
packaging/build-mcpb.sh --archive "$archive" --out-dir dist
bundle="$(ls dist/klarna-mcp-*-linux-x86_64.mcpb)"
first="$work/first/$(basename "$bundle")"
sha256sum "$first" "$bundle"
cmp "$first" "$bundle" || { echo "two bundles from one binary differ" >&2; exit 1; }
node packaging/mcpb/bundle.mjs server-json dist/server.json "$bundle"

step "installer script into a temp directory"
# The installer dist wrote, fetching from this build's archives instead of the release URL
# (it checks the archive against the checksum it carries).
INSTALLER_DOWNLOAD_URL="file://$distrib" KLARNA_MCP_UNMANAGED_INSTALL="$work/installer" \
    sh "$distrib/klarna-mcp-installer.sh" --quiet
installed="$work/installer/klarna-mcp"

step "cargo install --locked --profile dist --path . / --git (temp roots; the release build is reused)"
cargo install --locked --profile dist --path . --root "$work/install-path"
installed="$installed:$work/install-path/bin/klarna-mcp"
if git rev-parse --verify --quiet HEAD > /dev/null; then
    # The committed HEAD, as `cargo install --git <url>` gets it. Last: a --git install moves
    # the release binary out of the target directory.
    cargo install --locked --profile dist --git "file://$PWD" --rev "$(git rev-parse HEAD)" --root "$work/install-git"
    installed="$installed:$work/install-git/bin/klarna-mcp"
else
    echo "(not a git checkout: cargo install --git skipped)"
fi

step "tests (node --test packaging/test/)"
KLARNA_MCPB_BUNDLE="$bundle" KLARNA_MCPB_SERVER_JSON=dist/server.json KLARNA_MCP_INSTALLED="$installed" \
    node --test packaging/test/*.test.mjs
step "done"
