# shellcheck shell=bash
# The cargo tools packaging and CI run, pinned in one place (sourced by packaging/*.sh and
# .ci/run). Each is built from crates.io with `cargo install --locked`; an installed copy of
# the pinned version is reused, so only the first run on a machine pays for the compile.
CARGO_ABOUT_VERSION=0.9.3  # licence notices (packaging/licenses/)
CARGO_DENY_VERSION=0.20.2  # licence, duplicate and source policy (deny.toml)
DIST_VERSION=0.34.0        # release archives, installers and workflow (dist-workspace.toml)

# tool_version BINARY: the version BINARY reports, or nothing when it is not installed.
tool_version() {
    "$@" --version 2>/dev/null | awk 'NR == 1 { print $NF }'
}

# ensure_cargo_tool CRATE VERSION BINARY [cargo install flags]: installs CRATE@VERSION unless
# BINARY already reports VERSION.
ensure_cargo_tool() {
    local crate="$1" version="$2" binary="$3"
    shift 3
    if [[ "$(tool_version "$binary")" == "$version" ]]; then
        echo "$crate $version: installed"
        return
    fi
    local started=$SECONDS
    cargo install --locked --quiet "$crate@$version" "$@"
    echo "$crate $version: built and installed in $((SECONDS - started)) s"
}

# require_cargo_tool CRATE VERSION BINARY [cargo install flags]: fails, naming the command that
# installs it, unless BINARY reports VERSION (for scripts people run, which install nothing).
require_cargo_tool() {
    local crate="$1" version="$2" binary="$3"
    shift 3
    if [[ "$(tool_version "$binary")" != "$version" ]]; then
        echo "needs $crate $version: cargo install --locked $crate@$version $*" >&2
        return 1
    fi
}
