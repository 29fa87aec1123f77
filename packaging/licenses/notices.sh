#!/usr/bin/env bash
# Writes the licence notices of every crate the release binary links, from Cargo.lock:
#
#   packaging/licenses/notices.sh OUT      (e.g. target/notices/THIRD-PARTY-LICENSES.txt)
#
# with cargo-about (the version pinned in packaging/tools.sh), configured by about.toml (the
# accepted licences, the release targets) and laid out by notices.hbs. Offline after one
# `cargo fetch`: licence texts come from the crates' own files, never from their repositories,
# so the same Cargo.lock always gives the same file.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=packaging/tools.sh
source packaging/tools.sh

out="${1:?usage: packaging/licenses/notices.sh OUT}"
require_cargo_tool cargo-about "$CARGO_ABOUT_VERSION" cargo-about --features cli
# cargo metadata needs every target's crates (Windows-only ones too) before --frozen.
cargo fetch --locked --quiet
mkdir -p "$(dirname "$out")"
cargo-about generate --frozen -c packaging/licenses/about.toml packaging/licenses/notices.hbs -o "$out"
echo "notices: $out ($(grep -c '^  - ' "$out") crate entries)"
