#!/usr/bin/env bash
# qemu-direct.sh [start|stop]: boots the test-bed guest with plain QEMU, no
# libvirt, its agent (port org.qemu.guest_agent.0) on a host unix socket, and
# prints QGA_TEST_SOCKET=<socket> once the agent answers. Idempotent (a guest
# started with other options is restarted); `stop` powers the machine off. Same guest image, kernel command line and
# environment variables as up.sh.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

dir="$TESTBED_RUN/qemu-direct"
sock="$dir/qga.sock"
pidfile="$dir/qemu.pid"
console="$dir/console.log"

stop() {
	pid_alive "$pidfile" || { rm -rf "$dir"; return 0; }
	local pid
	pid=$(cat "$pidfile")
	log "stopping the plain QEMU guest (pid $pid)"
	kill "$pid"
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
	rm -rf "$dir"
}

start() {
	apt_install qemu-system-x86 python3
	local guest
	guest=$("$TESTBED_DIR/build-guest.sh")
	# -nodefaults: no VGA, no default serial; the console goes to a file.
	# server=on,wait=off: QEMU listens on the socket and boots without a client.
	# shellcheck disable=SC2054 # the commas belong to QEMU's option syntax
	local qemu=(qemu-system-x86_64 -accel "$QGA_TESTBED_ACCEL" -m 768 -smp 1 -nodefaults -display none
		-name qga-testbed-direct -daemonize -pidfile "$pidfile"
		-kernel "$guest/kernel" -initrd "$guest/initrd.img"
		-append "console=ttyS0 $QGA_TESTBED_CMDLINE"
		-serial "file:$console"
		-netdev user,id=net0 -device virtio-net-pci,netdev=net0
		-chardev "socket,id=qga0,path=$sock,server=on,wait=off"
		-device virtio-serial-pci
		-device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0)
	# Already up with the same image and options: nothing to do.
	if pid_alive "$pidfile" && [ "$(cat "$dir/command" 2>/dev/null)" = "${qemu[*]}" ] && qga_sync "$sock"; then
		echo "QGA_TEST_SOCKET=$sock"
		return 0
	fi
	stop
	mkdir -p "$dir"
	log "booting the guest with qemu-system-x86_64 -accel $QGA_TESTBED_ACCEL"
	"${qemu[@]}"
	echo "${qemu[*]}" >"$dir/command"
	wait_for "the guest agent on $sock" "$QGA_TESTBED_WAIT" "$console" qga_sync "$sock"
	echo "QGA_TEST_SOCKET=$sock"
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 [start|stop]" ;;
esac
