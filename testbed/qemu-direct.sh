#!/usr/bin/env bash
# qemu-direct.sh [start|stop]: boots the test-bed guest with plain QEMU, no
# libvirt, its agent (port org.qemu.guest_agent.0) on a host unix socket, and
# prints QGA_TEST_SOCKET=<socket> once the agent answers. Idempotent; `stop`
# powers the machine off. Same guest image, kernel command line and
# environment variables as up.sh.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

dir="$TESTBED_RUN/qemu-direct"
sock="$dir/qga.sock"
pidfile="$dir/qemu.pid"
console="$dir/console.log"

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

stop() {
	running || { rm -rf "$dir"; return 0; }
	local pid
	pid=$(cat "$pidfile")
	log "stopping the plain QEMU guest (pid $pid)"
	kill "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	rm -rf "$dir"
}

start() {
	if running && qga_sync "$sock"; then
		echo "QGA_TEST_SOCKET=$sock"
		return 0
	fi
	stop
	apt_install qemu-system-x86 netcat-openbsd
	local guest
	guest=$("$TESTBED_DIR/build-guest.sh")
	mkdir -p "$dir"
	log "booting the guest with qemu-system-x86_64 -accel $QGA_TESTBED_ACCEL"
	# -nodefaults: no VGA, no default serial; the console goes to a file.
	# server=on,wait=off: QEMU listens on the socket and boots without a client.
	qemu-system-x86_64 -accel "$QGA_TESTBED_ACCEL" -m 768 -smp 1 -nodefaults -display none \
		-name qga-testbed-direct -daemonize -pidfile "$pidfile" \
		-kernel "$guest/kernel" -initrd "$guest/initrd.img" \
		-append "console=ttyS0 $QGA_TESTBED_CMDLINE" \
		-serial "file:$console" \
		-netdev user,id=net0 -device virtio-net-pci,netdev=net0 \
		-chardev "socket,id=qga0,path=$sock,server=on,wait=off" \
		-device virtio-serial-pci \
		-device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0
	wait_for "the guest agent on $sock" "$QGA_TESTBED_WAIT" "$console" qga_sync "$sock"
	echo "QGA_TEST_SOCKET=$sock"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 [start|stop]" ;;
esac
