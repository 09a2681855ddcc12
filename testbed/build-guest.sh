#!/usr/bin/env bash
# build-guest.sh: builds the test-bed guest, a kernel plus an initramfs that
# holds a small Debian 12 userland with the real qemu-guest-agent, and prints
# the directory that holds them: $QGA_CACHE/testbed/<hash>/{kernel,initrd.img}.
# <hash> covers the recipe (guest/ and this script), so a changed recipe
# builds anew and an unchanged one is built once per machine (about 45 s).
# Logs go to stderr; only the directory goes to stdout.
# QGA_DEBIAN_MIRROR overrides mmdebstrap's default mirror (deb.debian.org).
# QGA_TESTBED_VARIANT=python builds a variant with python3 and sudo (for the
# Ansible connection plugin's tests: Ansible's Python modules and become) in
# a cache directory of its own, $QGA_CACHE/testbed/variant-python/<hash>, so
# that it never replaces the image the shared qga-testbed domain boots.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../scripts/lib.sh
. "$here/../scripts/lib.sh"

# mmdebstrap, chroot and the image's device node all need root.
if [ "$(id -u)" != 0 ]; then
	as_root env QGA_CACHE="$QGA_CACHE" QGA_TESTBED_VARIANT="${QGA_TESTBED_VARIANT:-}" "$0" "$@"
	exit
fi

# The variants: extra packages and where their images live.
case "${QGA_TESTBED_VARIANT:-}" in
"") extra_packages="" cache="$QGA_CACHE/testbed" ;;
# python3, not python3-minimal: that lacks json, shlex and shutil (they are in
# libpython3.11-stdlib), which every Ansible Python module imports.
python) extra_packages=",python3,sudo" cache="$QGA_CACHE/testbed/variant-python" ;;
*) die "QGA_TESTBED_VARIANT must be empty or python, not ${QGA_TESTBED_VARIANT}" ;;
esac
hash=$(cd "$here" && find guest build-guest.sh -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
out="$cache/$hash"
if [ -f "$out/kernel" ] && [ -f "$out/initrd.img" ]; then
	echo "$out"
	exit 0
fi

# gpg and the keyring: mmdebstrap verifies the mirror with them (Recommends only).
apt_install mmdebstrap cpio gpg debian-archive-keyring
mkdir -p "$cache"
# Build next to the final place and rename at the end, so that an interrupted
# build never leaves a directory that looks finished.
tmp=$(mktemp -d "$cache/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
root="$tmp/rootfs"

log "building the test-bed guest in $out (about 45 s)"
# essential + these packages: the agent, the shadow tools it runs for the
# password commands (with PAM), busybox for mount and friends, kmod for the
# virtio modules, iproute2 for the NIC, tzdata for a non-UTC zone.
mmdebstrap --variant=essential --quiet \
	--include="qemu-guest-agent,passwd,login,busybox,kmod,iproute2,tzdata,linux-image-cloud-amd64$extra_packages" \
	--dpkgopt='path-exclude=/usr/share/doc/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/info/*' \
	bookworm "$root" ${QGA_DEBIAN_MIRROR:+"$QGA_DEBIAN_MIRROR"} </dev/null >&2

# The kernel is booted directly: take it out, and drop the rest of /boot
# (including the initrd Debian built, which we replace).
kernels=("$root"/boot/vmlinuz-*)
if [ ${#kernels[@]} -ne 1 ] || [ ! -f "${kernels[0]}" ]; then
	die "expected one kernel in the guest's /boot, found: ${kernels[*]}"
fi
mv "${kernels[0]}" "$tmp/kernel"
rm -rf "${root:?}"/boot/*

"$here/guest/customize.sh" "$root"
chroot "$root" dpkg-query -W >"$tmp/packages.txt"

# The kernel opens /dev/console before /init mounts devtmpfs.
[ -e "$root/dev/console" ] || mknod -m 600 "$root/dev/console" c 5 1
log "packing the initramfs"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null --create --format=newc --quiet) | gzip -6 >"$tmp/initrd.img"
rm -rf "$root"
chmod 755 "$tmp"

# Another build may have won the race; its result is as good as ours.
mv -T "$tmp" "$out" 2>/dev/null || [ -f "$out/initrd.img" ] || die "could not move the guest into $out"
# Builds of older recipes are of no more use (up.sh redefines the domain with
# this one); drop them so the cache does not grow by 60 MB a recipe change.
find "$cache" -mindepth 1 -maxdepth 1 -type d -regextype posix-extended -regex '.*/[0-9a-f]{16}' ! -path "$out" -exec rm -rf {} +
log "guest ready: $(du -sh "$out/initrd.img" | cut -f1) initramfs"
echo "$out"
