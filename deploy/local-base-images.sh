#!/bin/sh
# deploy/local-base-images.sh -- makes the Dockerfile's base images locally,
# for a machine that reaches Debian's package archive but no container
# registry (see docs/CONTAINER.md). debootstraps a minimal bookworm root
# (--variant=minbase: what debian:bookworm-slim is made from), trims it the
# way the official slim image is trimmed, and imports it into podman's
# storage (shared with buildah) as
#
#   docker.io/library/debian:bookworm-slim    the runtime stage's base
#   docker.io/library/debian:bookworm         the build stage's base (the same
#                                             root: the build stage installs
#                                             its compilers with apt anyway)
#
# so `podman build .` finds both without pulling. Needs root, debootstrap
# and podman (apt-get install debootstrap podman). About 40 s.
#
#   deploy/local-base-images.sh              MIRROR=http://deb.debian.org/debian
set -eu

mirror="${MIRROR:-http://deb.debian.org/debian}"
[ "$(id -u)" -eq 0 ] || { echo "local-base-images: run as root" >&2; exit 1; }
for t in debootstrap podman; do
    command -v "$t" >/dev/null || { echo "local-base-images: needs $t (apt-get install $t)" >&2; exit 1; }
done

work=$(mktemp -d /var/tmp/shoal-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
root="$work/root"

debootstrap --variant=minbase bookworm "$root" "$mirror"

# as debian:bookworm-slim: the three suites, no docs/man/locales from now
# on, no apt caches or package lists in the image
rm -f "$root/etc/apt/sources.list"
cat > "$root/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${mirror%/debian}/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
cat > "$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat > "$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
rm -rf "$root/usr/share/man/"* "$root/usr/share/info/"* "$root/var/lib/apt/lists/"* \
       "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb "$root/var/log/"*
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +

tar --numeric-owner -C "$root" -cf - . |
    podman import --change 'CMD ["bash"]' - docker.io/library/debian:bookworm-slim
podman tag docker.io/library/debian:bookworm-slim docker.io/library/debian:bookworm
podman images docker.io/library/debian
