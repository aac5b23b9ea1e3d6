#!/bin/sh
# deps/install.sh -- installs the Debian packages in deps/packages.txt that
# are missing. As root it runs apt-get; otherwise it prints the command to
# run and fails, so nothing is half-installed behind the user's back.
# With an argument, only the packages under that heading of packages.txt
# (a "# NAME" comment line) are checked: `deps/install.sh build` installs
# what the Dockerfile's build stage needs and nothing for the tests.
set -e
here=$(dirname "$0")
section="${1:-}"
pkgs=$(awk -v s="$section" '/^#/ { h = $2; sub(/:$/, "", h); next }
                            NF && (s == "" || h == s) { print $1 }' "$here/packages.txt")
if [ -z "$pkgs" ]; then
    echo "deps: no packages under '# $section' in $here/packages.txt" >&2
    exit 1
fi
missing=""
for pkg in $pkgs; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0
echo "deps: missing Debian packages:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: run as root:  apt-get update && apt-get install -y$missing"
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
# Debian's redis-server package starts a service where it can; the tests
# start their own reference servers on free ports, so it is not needed.
