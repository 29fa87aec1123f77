#!/usr/bin/env bash
# Builds the team-server image (Containerfile beside this script) without pulling a base
# image: builds the binary, stages a root file system with it and the shared libraries it
# links (ldd, from this machine's Debian packages), a passwd entry for the unprivileged user
# and its state directory, then runs `podman build` (or ENGINE=buildah / docker).
#
#   packaging/container/build.sh                   # release binary, tag klarna-mcp:<version>
#   PROFILE=dev TAG=klarna-mcp:dev packaging/container/build.sh
#
# Needs cargo, ldd, and podman (Debian: apt-get install podman) or buildah or docker.
set -euo pipefail
cd "$(dirname "$0")/../.."

profile="${PROFILE:-release}"
engine="${ENGINE:-podman}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
tag="${TAG:-klarna-mcp:$version}"
case "$profile" in
  dev) out=debug ;;
  *) out="$profile" ;;
esac

cargo build --locked --profile "$profile" --bin klarna-mcp
bin="${CARGO_TARGET_DIR:-target}/$out/klarna-mcp"

context="$(mktemp -d /tmp/klarna-mcp-image.XXXXXX)"
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
install -D -m 0755 "$bin" "$rootfs/usr/local/bin/klarna-mcp"
# The binary's shared libraries (the C library, the loader, libgcc_s, libm), at the paths the
# loader looks in; a static build lists none.
ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
  while read -r lib; do
    install -D -m 0755 "$(readlink -f "$lib")" "$rootfs$lib"
  done
mkdir -p "$rootfs/etc" "$rootfs/tmp" "$rootfs/var/lib" "$context/state/klarna-mcp"
chmod 1777 "$rootfs/tmp"
chmod 0700 "$context/state/klarna-mcp"
printf 'root:x:0:0::/:/nonexistent\nklarna-mcp:x:65532:65532::/var/lib/klarna-mcp:/nonexistent\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nklarna-mcp:x:65532:\n' > "$rootfs/etc/group"
cp packaging/container/Containerfile "$context/Containerfile"

case "$engine" in
  podman) podman build --format docker --pull=never -f "$context/Containerfile" -t "$tag" "$context" ;;
  buildah) buildah bud --format docker --pull-never -f "$context/Containerfile" -t "$tag" "$context" ;;
  *) "$engine" build -f "$context/Containerfile" -t "$tag" "$context" ;;
esac
echo "built $tag"
