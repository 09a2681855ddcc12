# Sourced by the test-bed scripts (do not run it): where the test bed keeps its
# state, and the helpers they share.
# shellcheck shell=bash

TESTBED_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../scripts/lib.sh
. "$TESTBED_DIR/../scripts/lib.sh"

QGA_TESTBED_DOMAIN=${QGA_TESTBED_DOMAIN:-qga-testbed}
# tcg works everywhere (nested KVM does not work on the CI machines); set kvm
# where /dev/kvm really works.
QGA_TESTBED_ACCEL=${QGA_TESTBED_ACCEL:-tcg}
# Extra kernel command-line words, e.g. qga1_args=--block-rpcs=guest-exec.
QGA_TESTBED_CMDLINE=${QGA_TESTBED_CMDLINE:-}
QGA_TESTBED_WAIT=${QGA_TESTBED_WAIT:-180}
# shellcheck disable=SC2034 # used by the scripts that source this file
TESTBED_URI=qemu:///system
# Sockets, console logs and pidfiles of the running guests; one directory
# per domain name, so that a second test bed does not take the first's socket.
TESTBED_RUN="$QGA_CACHE/testbed/run"
[ "$QGA_TESTBED_DOMAIN" = qga-testbed ] || TESTBED_RUN="$TESTBED_RUN-$QGA_TESTBED_DOMAIN"
mkdir -p "$TESTBED_RUN"

# pid_alive PIDFILE: true when the process a pidfile names is running.
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# qga_sync SOCKET: true when a qemu-ga answers on a host unix socket. It opens
# a session the way the protocol asks: a 0xFF byte (qemu-ga 7.2 answers it with
# a "JSON parse error" and resets its parser) and guest-sync-delimited with a
# fresh id, then reads until that id comes back. The id must be fresh: replies
# the agent wrote while no client was connected (e.g. to probes sent before it
# started) are held in the guest and delivered to the next client. Python,
# because nc -U did not deliver the reply within its session here.
qga_sync() {
	[ -S "$1" ] || return 1
	python3 - "$1" <<-'EOF'
		import random, re, socket, sys, time
		sync_id = random.randrange(1, 2**31)
		deadline = time.monotonic() + 3
		try:
		    s = socket.socket(socket.AF_UNIX)
		    s.settimeout(3)
		    s.connect(sys.argv[1])
		    s.sendall(b'\xff{"execute":"guest-sync-delimited","arguments":{"id":%d}}\n' % sync_id)
		    want, got = re.compile(rb'"return":\s*%d\b' % sync_id), b""
		    while not want.search(got):
		        s.settimeout(max(0.05, deadline - time.monotonic()))
		        chunk = s.recv(65536)
		        if not chunk:
		            sys.exit(1)
		        got += chunk
		except OSError:
		    sys.exit(1)
	EOF
}

# wait_for WHAT SECONDS CONSOLE_LOG COMMAND...: runs COMMAND until it succeeds,
# telling the user every few seconds; after SECONDS it shows the end of the
# guest's console (when CONSOLE_LOG is not empty) and fails.
wait_for() {
	local what=$1 limit=$2 console=$3 start=$SECONDS last=0 waited
	shift 3
	"$@" && return 0
	until "$@"; do
		waited=$((SECONDS - start))
		if [ "$waited" -ge "$limit" ]; then
			log "no answer from $what after $waited s"
			if [ -n "$console" ]; then
				log "the guest's console ($console) ends with:"
				tail -n 40 "$console" >&2 || true
			fi
			return 1
		fi
		if [ $((waited - last)) -ge 5 ]; then
			log "waiting for $what: $waited s"
			last=$waited
		fi
		sleep 1
	done
	log "$what answered after $((SECONDS - start)) s"
}
