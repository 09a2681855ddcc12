#!/usr/bin/env bash
# demo-down.sh (`make demo-down`): removes what `make demo` set up: the demo
# VM (libvirt domain qga-demo, via testbed/down.sh), its run directory, and
# the demo's work directory $QGA_CACHE/demo (OpenTofu state, demo key and
# password, logs, the provider and collection built for it). The caches stay
# (OpenTofu, the guest image, Go's build cache), so the next `make demo` is quick.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=SCRIPTDIR/lib.sh
. scripts/lib.sh

DOMAIN=${QGA_DEMO_DOMAIN:-qga-demo}
[ "$DOMAIN" != qga-testbed ] || die "QGA_DEMO_DOMAIN must not be the tests' domain qga-testbed"
exec 8>"$QGA_CACHE/demo.lock"
flock -n 8 || { log "'make demo' is running: waiting for it to finish"; flock 8; }

QGA_TESTBED_DOMAIN=$DOMAIN bash testbed/down.sh
rm -rf "$QGA_CACHE/testbed/run-$DOMAIN" "$QGA_CACHE/demo"
log "the demo is down (the caches in $QGA_CACHE stay)"
