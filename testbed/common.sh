# Sourced by the test-bed scripts (do not run it): where the test bed keeps its
# state, and the two helpers they share.
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
TESTBED_URI=qemu:///system
# Sockets, console logs and pidfiles of the running guests.
TESTBED_RUN="$QGA_CACHE/testbed/run"
mkdir -p "$TESTBED_RUN"

# qga_sync SOCKET: true when a qemu-ga answers on a host unix socket. It opens
# a session the way the protocol asks: a 0xFF byte (resets the agent's parser)
# and guest-sync-delimited with a fresh id, then looks for that id in the reply.
# The id is fresh so that a late reply to an earlier probe cannot count.
qga_sync() {
	local id=$((RANDOM * 32768 + RANDOM)) reply
	[ -S "$1" ] || return 1
	# -q 1: keep reading for a second after the request is sent.
	reply=$(printf '\377{"execute":"guest-sync-delimited","arguments":{"id":%d}}\n' "$id" |
		timeout 5 nc -U -q 1 "$1" 2>/dev/null | tr -d '\377') || true
	[[ $reply == *"\"return\": $id"* ]]
}

# wait_for WHAT SECONDS CONSOLE_LOG COMMAND...: runs COMMAND until it succeeds,
# telling the user every few seconds; after SECONDS it shows the end of the
# guest's console and fails.
wait_for() {
	local what=$1 limit=$2 console=$3 start=$SECONDS last=0
	shift 3
	until "$@"; do
		local waited=$((SECONDS - start))
		if [ "$waited" -ge "$limit" ]; then
			log "no answer from $what after $waited s; the guest's console ($console) ends with:"
			tail -n 40 "$console" >&2 2>/dev/null || true
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
