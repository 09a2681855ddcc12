#!/usr/bin/env bash
# up.sh: brings the test bed up (idempotent; a second call returns in well
# under a second): the Debian packages, the guest image, virtlogd and
# libvirtd, and the libvirt domain qga-testbed with two guest agents, one
# for libvirt and one on a unix socket of our own. Prints, and writes to
# $TESTBED_RUN/env, the lines the tests source:
#   QGA_TEST_URI=qemu:///system  QGA_TEST_DOMAIN=...  QGA_TEST_SOCKET=...
# Environment: QGA_TESTBED_DOMAIN (domain name), QGA_TESTBED_CMDLINE (extra
# kernel command line, e.g. qga0_args=--block-rpcs=guest-exec),
# QGA_TESTBED_ACCEL (tcg or kvm), QGA_TESTBED_WAIT (seconds to wait for the agent),
# QGA_TESTBED_FRESH=1 (a running domain is booted again: see below).
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

# One bring-up at a time: test processes started side by side may all call us.
# The daemons started below must not inherit this lock (or a caller's, such
# as make demo's): they would hold it for as long as they run.
exec 9>"$TESTBED_RUN/up.lock"
flock -w 900 9 || die "another testbed/up.sh has held $TESTBED_RUN/up.lock for 15 minutes"

virsh_() { virsh -q -c "$TESTBED_URI" "$@"; }
libvirt_up() { virsh_ version >/dev/null 2>&1; }
# start_libvirtd succeeds once libvirtd answers. It starts one when none is
# running; a daemon that is still exiting (a fault test restarted it) holds
# the pid file, and starting another then fails: the next round retries.
start_libvirtd() {
	libvirt_up && return 0
	pgrep -x libvirtd >/dev/null || as_root libvirtd -d 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 2>/dev/null || true
	sleep 1
	libvirt_up
}

# procps: pgrep here, kill in the fault tests (a minimal Debian lacks it).
apt_install qemu-system-x86 libvirt-daemon libvirt-daemon-driver-qemu libvirt-daemon-system libvirt-clients python3 procps
guest=$("$TESTBED_DIR/build-guest.sh")

# No systemd here: start the daemons by hand. virtlogd first, or a domain
# fails to start ("Failed to connect socket to '/run/libvirt/virtlogd-sock'").
if ! libvirt_up; then
	if ! pid_alive /run/virtlogd.pid; then
		log "starting virtlogd"
		as_root virtlogd -d 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	fi
	log "starting libvirtd"
	wait_for libvirtd 60 "" start_libvirtd
fi

# The domain XML, from the template. A domain whose XML changed since it
# was defined (new guest build, other kernel command line) is redefined
# and restarted, so it always runs what this checkout describes.
console="$TESTBED_RUN/console.log"
socket="$TESTBED_RUN/qga-direct.sock"
defined="$TESTBED_RUN/$QGA_TESTBED_DOMAIN.xml"
case "$QGA_TESTBED_ACCEL" in tcg) virt_type=qemu ;; kvm) virt_type=kvm ;; *) die "QGA_TESTBED_ACCEL must be tcg or kvm" ;; esac
xml=$(<"$TESTBED_DIR/domain.xml.in")
# Quoted replacements: bash 5.2 would otherwise expand & in them.
xml=${xml//@NAME@/"$QGA_TESTBED_DOMAIN"}
xml=${xml//@VIRT_TYPE@/"$virt_type"}
xml=${xml//@KERNEL@/"$guest/kernel"}
xml=${xml//@INITRD@/"$guest/initrd.img"}
xml=${xml//@CMDLINE@/"console=ttyS0 $QGA_TESTBED_CMDLINE"}
xml=${xml//@CONSOLE@/"$console"}
xml=${xml//@DIRECT_SOCKET@/"$socket"}

active() { [ "$(virsh_ domstate "$QGA_TESTBED_DOMAIN" 2>/dev/null)" = running ]; }
exists() { virsh_ dominfo "$QGA_TESTBED_DOMAIN" >/dev/null 2>&1; }
# Our copy of the XML says what this cache last defined; libvirt's own
# definition may still be another cache's (another checkout ran up.sh with
# its own QGA_CACHE since), so check its guest image and socket too.
current() {
	local live
	live=$(virsh_ dumpxml --inactive "$QGA_TESTBED_DOMAIN" 2>/dev/null) || return 1
	[ "$(cat "$defined" 2>/dev/null)" = "$xml" ] &&
		grep -qF "$guest/kernel" <<<"$live" && grep -qF "$socket" <<<"$live"
}
if ! exists || ! current; then
	if exists; then
		# The template has no UUID, so libvirt refuses to redefine the name
		# over the old definition: remove that first.
		log "the domain $QGA_TESTBED_DOMAIN changed: removing it"
		virsh_ destroy "$QGA_TESTBED_DOMAIN" >/dev/null 2>&1 || true # fails when it is not running
		virsh_ undefine "$QGA_TESTBED_DOMAIN" >/dev/null
	fi
	log "defining the domain $QGA_TESTBED_DOMAIN"
	printf '%s\n' "$xml" >"$defined.new"
	virsh_ define "$defined.new" >/dev/null
	mv "$defined.new" "$defined"
fi
start_domain() {
	# Any other state (shut off, paused, crashed): start from scratch.
	virsh_ destroy "$QGA_TESTBED_DOMAIN" >/dev/null 2>&1 || true
	log "starting the domain $QGA_TESTBED_DOMAIN ($QGA_TESTBED_ACCEL)"
	rm -f "$socket"
	virsh_ start "$QGA_TESTBED_DOMAIN" >/dev/null
}
ping_agent() { virsh_ qemu-agent-command "$QGA_TESTBED_DOMAIN" --timeout 5 '{"execute":"guest-ping"}' >/dev/null 2>&1; }
if ! active; then
	start_domain
elif [ "${QGA_TESTBED_FRESH:-}" = 1 ]; then
	# `make test` starts from a guest it knows: the guest lives in its
	# initramfs, so a boot brings back the image as built, and nothing a
	# previous run left behind (a process that outlived its test, a test
	# user, files, a load that slows every bound) reaches this run. A run
	# that failed once left a forking loop that broke the next one.
	log "booting the running domain $QGA_TESTBED_DOMAIN again, so this run starts from the guest as built"
	start_domain
elif ! wait_for "the guest agent of the running domain" 15 "" ping_agent; then
	# Running, but its agent does not answer (e.g. libvirt gave up on it
	# after an oversized reply in a fault test): a fresh boot fixes that.
	log "the running domain's agent does not answer: restarting the domain"
	start_domain
fi
wait_for "the guest agent" "$QGA_TESTBED_WAIT" "$console" ping_agent
# The second agent starts with the first; a short bound is plenty.
wait_for "the guest agent on $socket" 30 "$console" qga_sync "$socket"

env_lines="QGA_TEST_URI=$TESTBED_URI
QGA_TEST_DOMAIN=$QGA_TESTBED_DOMAIN
QGA_TEST_SOCKET=$socket"
printf '%s\n' "$env_lines" >"$TESTBED_RUN/env"
printf '%s\n' "$env_lines"
