#!/usr/bin/env bash
# customize.sh ROOTFS: turns the Debian tree that mmdebstrap made into the
# test-bed guest. Runs on the host as root, before the tree is packed.
set -euo pipefail
root=${1:?usage: customize.sh ROOTFS}
here=$(cd "$(dirname "$0")" && pwd)

install -m 755 "$here/init" "$root/init"
install -m 755 "$here/shutdown" "$root/sbin/shutdown"
echo qga-testbed >"$root/etc/hostname"

# A zone other than UTC, so guest-get-timezone proves it reads the guest's.
ln -sfn /usr/share/zoneinfo/Europe/Berlin "$root/etc/localtime"
echo Europe/Berlin >"$root/etc/timezone"
[ -e "$root/etc/os-release" ] || { echo "no /etc/os-release in the guest" >&2; exit 1; }

# Test users: alice and bob with a home directory (ssh-key commands need one,
# no authorized_keys yet), nohome without one. root keeps its shadow entry.
chroot "$root" useradd -m -s /bin/bash alice
chroot "$root" useradd -m -s /bin/bash bob
chroot "$root" useradd -M -s /bin/bash nohome
grep -q '^root:' "$root/etc/shadow" || { echo "root has no /etc/shadow entry" >&2; exit 1; }

# Keep only the virtio modules and bridge (and what they depend on, e.g.
# virtio_net's failover modules, bridge's stp and llc: the address filter
# tests make a docker0 bridge in the guest); then regenerate modules.dep so
# modprobe stays consistent.
moddir=$(echo "$root"/lib/modules/*)
[ -f "$moddir/modules.dep" ] || { echo "no kernel modules in the guest" >&2; exit 1; }
kver=${moddir##*/}
keep=$(awk -F': ?' '$1 ~ /\/(virtio[^\/]*|bridge)\.ko/ { print $1; n = split($2, d, " "); for (i = 1; i <= n; i++) print d[i] }' \
	"$moddir/modules.dep" | sort -u)
(cd "$moddir" && find kernel -name '*.ko*' | sort | comm -23 - <(echo "$keep") | xargs rm -f)
find "$moddir/kernel" -type d -empty -delete
chroot "$root" depmod "$kver"
