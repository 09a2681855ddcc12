#!/usr/bin/env bash
# fresh-machine.sh [COMMAND]: runs COMMAND (default: the README's two
# commands, `make demo && make test`) in a clone of this checkout on a fresh
# Debian 12 that has only Go, make and git: a chroot made with mmdebstrap
# (minbase) in $QGA_CACHE/fresh-machine, with the host's Go copied in and
# empty caches. It proves that the project's own scripts install everything
# else (Debian packages, Terraform, OpenTofu, tools). Needs root.
#
# The chroot runs in its own mount and PID namespaces (its daemons and guests
# end with it) but shares the host's network: do not run it while the host
# runs the tests too (both would use the same loopback ports).
#
# QGA_FRESH_KEEP=1 keeps the chroot (its packages and caches) for a second,
# warm run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/scripts/lib.sh"

[ "$(id -u)" = 0 ] || die "fresh-machine.sh needs root (chroot, mounts)"
command=${1:-make demo && make test}
base="$QGA_CACHE/fresh-machine"
root="$base/root"
shared="$here/../shared"
[ -d "$shared" ] || die "../shared must be beside the checkout ($shared)"

apt_install mmdebstrap
# The minimal Debian is made once, as a tarball; each run unpacks it anew, so
# no Debian package that an earlier run installed is there (with
# QGA_FRESH_KEEP=1 the root stays as the last run left it).
tarball="$base/minbase.tar"
if [ ! -s "$tarball" ]; then
	log "making a minimal Debian 12 in $tarball (make, git, ca-certificates)"
	mkdir -p "$base"
	mmdebstrap --variant=minbase --include=make,git,ca-certificates bookworm "$base/minbase.tmp.tar" \
		"deb http://deb.debian.org/debian bookworm main" \
		"deb http://deb.debian.org/debian bookworm-updates main" \
		"deb http://deb.debian.org/debian-security bookworm-security main" >"$base/mmdebstrap.log" 2>&1 ||
		die "mmdebstrap failed: see $base/mmdebstrap.log"
	mv "$base/minbase.tmp.tar" "$tarball"
fi
if [ "${QGA_FRESH_KEEP:-}" != 1 ] || [ ! -x "$root/usr/bin/make" ]; then
	log "unpacking the minimal Debian 12 into $root (empty caches)"
	rm -rf "$root" && mkdir -p "$root"
	tar -xf "$tarball" -C "$root"
fi
mkdir -p "$root/work"
rm -rf "$root/work/src"
mkdir -p "$root/work/src"
git clone -q "$here" "$root/work/src/main"
cp -a "$shared" "$root/work/src/shared"
rm -rf "$root/usr/local/go" && cp -a "$(go env GOROOT)" "$root/usr/local/go"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# The machine's own trust (this workplace reaches the Go module proxy
# through an egress proxy with its own CA): part of the machine, not of
# what the project installs.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
	chroot "$root" update-ca-certificates >/dev/null 2>&1
fi

# The command, quoted once for the shell inside the chroot.
inner=$(printf 'cd /work/src/main && export PATH=/usr/local/go/bin:$PATH HOME=/root && %s' "$command")
log "running in the fresh machine: $command"
start=$(date +%s)
rc=0
unshare --mount --pid --fork --propagation private /bin/bash -c '
	set -e
	root=$1; shift
	# The root must be a mount point: libvirt makes each guest a mount
	# namespace of its own and stops its propagation at "/".
	mount --bind "$root" "$root"
	mount -t proc proc "$root/proc"
	mount --rbind /dev "$root/dev"
	# PTYs of its own, as a machine has: libvirt moves /dev/pts into the
	# mount namespace of each guest, and with the two stacked devpts mounts
	# of this host there QEMU fails with "Failed to create PTY".
	mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
	mount --bind "$root/dev/pts/ptmx" "$root/dev/ptmx"
	mount --bind /sys "$root/sys"
	mount -t tmpfs tmpfs "$root/run"
	mount -t tmpfs tmpfs "$root/dev/shm"
	exec chroot "$root" /bin/bash -c "$1"
' fresh "$root" "$inner" || rc=$?
log "the fresh machine's command ended with exit code $rc after $(( $(date +%s) - start )) s"
exit "$rc"
