#!/usr/bin/env bash
# ssh-loopback.sh: an sshd on 127.0.0.1:2222 that lets root in with a key of
# the test bed's own, so the remote libvirt transports (qemu+ssh://, which
# runs the ssh program, and qemu+libssh://, go-libvirt's pure-Go client) are
# tested for real against this machine's libvirtd. Idempotent. Prints:
#   QGA_TEST_SSH_URI=qemu+ssh://...   QGA_TEST_LIBSSH_URI=qemu+libssh://...
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

dir="$QGA_CACHE/testbed/ssh"
mkdir -p "$dir" /run/sshd
chmod 700 "$dir"
apt_install openssh-server openssh-client netcat-openbsd

[ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519"
[ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519"
cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
write_config() {
	cat >"$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $1
HostKey $dir/host_ed25519
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile $dir/sshd.pid
CONF
}

# The port: 2222, or the next free one when another sshd (another checkout's
# cache) holds it: sshd itself exits 0 even when it cannot bind.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if pid_alive "$dir/sshd.pid" && [ -f "$dir/port" ]; then
	port=$(cat "$dir/port")
else
	port=
	for p in $(seq "${QGA_TESTBED_SSH_PORT:-2222}" 2261); do
		listening "$p" || { port=$p; break; }
	done
	[ -n "$port" ] || die "no free port for sshd from 2222 to 2261"
	write_config "$port"
	as_root /usr/sbin/sshd -f "$dir/sshd_config"
	echo "$port" >"$dir/port"
	log "started sshd on 127.0.0.1:$port for the remote-URI tests"
	ssh_up() { ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -i "$dir/id_ed25519" -p "$port" root@127.0.0.1 true; }
	wait_for "sshd" 20 "" ssh_up
fi

echo "QGA_TEST_SSH_URI=qemu+ssh://root@127.0.0.1:$port/system?keyfile=$dir/id_ed25519&no_verify=1"
echo "QGA_TEST_LIBSSH_URI=qemu+libssh://root@127.0.0.1:$port/system?keyfile=$dir/id_ed25519&known_hosts_verify=ignore&sshauth=privkey"
