#!/usr/bin/env bash
# The shell anchor: guest-exec through `virsh qemu-agent-command`, then
# guest-exec-status every 100 ms until the process exited, the way a script
# would do it. Prints one latency in microseconds per run (from before guest-exec until
# the status that shows the exit).
# Usage: anchor_virsh.sh URI DOMAIN RUNS PATH [ARG...]
set -euo pipefail
uri=$1 domain=$2 runs=$3
shift 3
args=""
for a in "${@:2}"; do args+="${args:+,}\"$a\""; done
cmd="{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"$1\",\"arg\":[$args],\"capture-output\":true}}"
for ((i = 0; i < runs; i++)); do
	t0=$(date +%s%N)
	out=$(virsh -q -c "$uri" qemu-agent-command "$domain" "$cmd")
	pid=${out//[^0-9]/}
	while :; do
		st=$(virsh -q -c "$uri" qemu-agent-command "$domain" "{\"execute\":\"guest-exec-status\",\"arguments\":{\"pid\":$pid}}")
		[[ $st == *'"exited":true'* ]] && break
		sleep 0.1
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
done
