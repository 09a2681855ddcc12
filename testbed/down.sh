#!/usr/bin/env bash
# down.sh: takes the test bed down: destroys and undefines the libvirt domain
# and stops the plain-QEMU guest of qemu-direct.sh. The daemons keep running
# and the cached guest image stays, so the next up.sh is quick.
set -euo pipefail
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

virsh_() { virsh -q -c "$TESTBED_URI" "$@"; }

if ! virsh_ version >/dev/null 2>&1; then
	log "libvirtd is not running: no domain to take down"
elif virsh_ dominfo "$QGA_TESTBED_DOMAIN" >/dev/null 2>&1; then
	log "removing the domain $QGA_TESTBED_DOMAIN"
	virsh_ destroy "$QGA_TESTBED_DOMAIN" >/dev/null 2>&1 || true # fails when it is not running
	virsh_ undefine "$QGA_TESTBED_DOMAIN" >/dev/null
fi
rm -f "$TESTBED_RUN/$QGA_TESTBED_DOMAIN.xml" "$TESTBED_RUN/env" "$TESTBED_RUN/qga-direct.sock"

"$TESTBED_DIR/qemu-direct.sh" stop
