#!/bin/bash
# Build the test cloud's root filesystem: debootstrap Debian 13 (trixie) and install the
# packages of packages.txt with no service started (policy-rc.d). Kept as a directory named by
# the hash of the package list, the suite and BUILD (raise it when this script changes what it
# builds), so a rerun downloads nothing and a changed list builds a new one.
# usage: build-rootfs.sh CACHE_DIR   -> prints the rootfs directory
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${1:?usage: build-rootfs.sh CACHE_DIR}
SUITE=trixie
BUILD=1
MIRROR=${LABBUILDER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
KEY=$(cat "$HERE/packages.txt" <(echo "$SUITE $BUILD") | sha256sum | cut -c1-16)
ROOT=$CACHE/$KEY
if [ -f "$ROOT/.complete" ]; then
  echo "$ROOT"
  exit 0
fi
mkdir -p "$CACHE"
BASE=$CACHE/base-$SUITE-$BUILD
if [ ! -f "$BASE/.complete" ]; then
  echo "debootstrap $SUITE into $BASE" >&2
  rm -rf "$BASE"
  debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
    "$SUITE" "$BASE" "$MIRROR" >&2
  touch "$BASE/.complete"
fi
WORK=$(mktemp -d "$CACHE/build.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cp -a "$BASE/." "$WORK/"
rm "$WORK/.complete"
mapfile -t PKGS < <(grep -v -e '^#' -e '^$' "$HERE/packages.txt")
printf '#!/bin/sh\nexit 101\n' >"$WORK/usr/sbin/policy-rc.d"
chmod 755 "$WORK/usr/sbin/policy-rc.d"
echo testcloud >"$WORK/etc/hostname"
# nova-common's postinst needs a resolvable FQDN
printf '127.0.0.1 localhost\n127.0.1.1 testcloud.testcloud.test testcloud\n' >"$WORK/etc/hosts"
echo "apt-get install ${#PKGS[@]} packages" >&2
# shellcheck disable=SC2016 # expanded by the inner shell
unshare --mount --uts --pid --fork bash -c '
  set -e
  R=$1
  shift
  hostname testcloud
  mount -t proc proc "$R/proc"
  mount -t sysfs sys "$R/sys"
  mount --rbind /dev "$R/dev"
  export DEBIAN_FRONTEND=noninteractive
  chroot "$R" apt-get update -q
  chroot "$R" apt-get install -q -y --no-install-recommends "$@"
  chroot "$R" apt-get clean
' build "$WORK" "${PKGS[@]}" >&2
touch "$WORK/.complete"
mv "$WORK" "$ROOT"
trap - EXIT
echo "$ROOT"
