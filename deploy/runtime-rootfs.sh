#!/bin/sh
# deploy/runtime-rootfs.sh -- reads deploy/runtime-files (the one list of
# what shoal's runtime image holds) and acts on it. Used by the Dockerfile
# and by tests/integration/container.tcl, so the image and the test can
# never disagree about the file set.
#
#   runtime-rootfs.sh --packages       print the Debian packages, one a line
#   runtime-rootfs.sh --user           print "NAME UID" of the runtime user
#   runtime-rootfs.sh --stage DESTDIR  copy the `file` entries (the built
#                                      binary, the conf...) into DESTDIR at
#                                      their image paths (Dockerfile build
#                                      stage; the runtime stage copies DESTDIR)
#   runtime-rootfs.sh --install        as root inside the runtime image:
#                                      apt-get install the packages, add the user
#   runtime-rootfs.sh DESTDIR          assemble a complete, runnable root in
#                                      DESTDIR from this host: the `file`
#                                      entries, every file of the listed
#                                      packages (from dpkg), the user. For
#                                      `chroot DESTDIR /usr/local/bin/shoal-server`
#
# POSIX sh: it also runs in debian:bookworm-slim, where /bin/sh is dash.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")               # repository root (SRC paths are relative to it)
list="${RUNTIME_FILES:-$here/runtime-files}"

die() { echo "runtime-rootfs: $*" >&2; exit 1; }
[ -r "$list" ] || die "cannot read $list"

# The entries of one kind (pkg, file, user), comments and blank lines dropped.
entries() { sed -e 's/#.*//' "$list" | awk -v k="$1" '$1 == k { $1 = ""; sub(/^ +/, ""); print }'; }

packages() { entries pkg; }

# stage DESTDIR: the `file` entries at their destination paths.
stage() {
    entries file | while read -r src dest mode; do
        [ -n "$mode" ] || die "bad file entry: $src $dest"
        [ -f "$root/$src" ] || die "$src is missing (build it first: make -C src)"
        install -D -m "$mode" "$root/$src" "$1$dest"
    done
}

# add_user DESTDIR: the runtime user and group (DESTDIR "" = this system).
add_user() {
    entries user | while read -r name uid; do
        mkdir -p "$1/etc"
        [ -f "$1/etc/passwd" ] || echo "root:x:0:0:root:/root:/bin/sh" > "$1/etc/passwd"
        [ -f "$1/etc/group" ] || echo "root:x:0:" > "$1/etc/group"
        grep -q "^$name:" "$1/etc/group" || echo "$name:x:$uid:" >> "$1/etc/group"
        grep -q "^$name:" "$1/etc/passwd" ||
            echo "$name:x:$uid:$uid:shoal server:/nonexistent:/usr/sbin/nologin" >> "$1/etc/passwd"
    done
}

# rootfs DESTDIR: a runnable root from this host's copies of the packages.
rootfs() {
    dest=$1
    mkdir -p "$dest/usr/bin" "$dest/usr/sbin" "$dest/usr/lib" "$dest/usr/lib64" \
        "$dest/dev" "$dest/proc" "$dest/sys" "$dest/etc" "$dest/tmp"
    chmod 1777 "$dest/tmp"
    # the device nodes every container runtime provides (root only: a
    # non-root run simply goes without them)
    for d in null:3 zero:5 random:8 urandom:9; do
        [ -e "$dest/dev/${d%:*}" ] || mknod -m 666 "$dest/dev/${d%:*}" c 1 "${d#*:}" 2>/dev/null || true
    done
    # merged /usr, as in Debian 12 images
    for d in bin sbin lib lib64; do
        [ -e "$dest/$d" ] || [ -L "$dest/$d" ] || ln -s "usr/$d" "$dest/$d"
    done
    pkgs=$(packages)
    for p in $pkgs; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            die "package $p is not installed on this host (apt-get install $p)"
    done
    # every non-directory file of the packages, documentation left out
    # shellcheck disable=SC2086
    dpkg-query -L $pkgs | grep '^/' | sort -u |
        grep -v -e '^/usr/share/doc' -e '^/usr/share/man' -e '^/usr/share/info' \
                -e '^/usr/share/locale' -e '^/usr/share/lintian' |
        while read -r f; do
            if [ -L "$f" ] || { [ -e "$f" ] && [ ! -d "$f" ]; }; then
                echo "${f#/}"
            fi
        done > "$dest/.runtime-rootfs.list"
    tar -C / --no-recursion -cf - -T "$dest/.runtime-rootfs.list" |
        tar -C "$dest" --keep-directory-symlink -xf -
    rm -f "$dest/.runtime-rootfs.list"
    stage "$dest"
    add_user "$dest"
}

case "${1:-}" in
    --packages) packages ;;
    --user) entries user ;;
    --stage) [ $# -eq 2 ] || die "usage: $0 --stage DESTDIR"; stage "$2" ;;
    --install)
        [ "$(id -u)" -eq 0 ] || die "--install must run as root"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        # shellcheck disable=SC2046
        apt-get install -y -q --no-install-recommends $(packages)
        rm -rf /var/lib/apt/lists/*
        add_user ""
        ;;
    ""|-*) sed -n '2,/^set -eu/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
    *) rootfs "$1" ;;
esac
