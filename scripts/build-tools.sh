#!/usr/bin/env bash
# build-tools.sh [--background]: builds into the cache the tools that the
# later steps of `make test` need, in the order they need them: Terraform
# 1.5.7 (acceptance, faults, release test), OpenTofu, GoReleaser (release
# test). Tools already built are skipped at once.
#
# --background starts the builds on one core, at the lowest CPU priority
# (SCHED_IDLE where the kernel has it, and nice 19), and returns at once
# (log: $QGA_CACHE/build-tools.log). Why: from empty caches these builds took
# ~35 min of CPU, while the VM tests that run first leave a core mostly idle.
# Why so gently: at two compile jobs and nice 19 the load went to 6 and a
# unit test's 700 ms wait missed its deadline. A step that needs a tool
# before its build is done waits for that build (build_once's lock) instead
# of starting a second one; a build that failed in the background is tried
# again, in the foreground, by the step that needs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if [ "${1:-}" = --background ]; then
	log "building the test tools in the background (log: $QGA_CACHE/build-tools.log)"
	idle=()
	chrt --idle 0 true 2>/dev/null && idle=(chrt --idle 0)
	GOMAXPROCS=1 GOFLAGS="${GOFLAGS:+$GOFLAGS }-p=1" setsid "${idle[@]}" nice -n 19 bash "$here/build-tools.sh" </dev/null >>"$QGA_CACHE/build-tools.log" 2>&1 &
	exit 0
fi
start=$(date +%s)
bash "$here/install-tf.sh" terraform >/dev/null
bash "$here/install-tf.sh" tofu >/dev/null
bash "$here/install-goreleaser.sh" >/dev/null
log "test tools ready after $(($(date +%s) - start)) s"
