#!/usr/bin/env bash
# bench/run.sh (`make bench`): qgaclient and the provider against the anchors,
# on test-bed guests of its own (qga-bench-1..4; the shared qga-testbed stays
# untouched), in one run; prints one table. Installs what the anchors need
# (Debian's python3-libvirt and virsh), brings the guests up and takes them
# down again. Then the Ansible connection plugin against its anchor
# (bench/ansible-connection.sh) on a guest with Python, qga-bench-ansible,
# started once the other guests are down. About 5 minutes on 2 cores, plus
# the file rows (10a-10x: 32 MiB transfers; 25 minutes on a loaded machine, a
# few minutes on a quiet one) and 10 to 15 for the Ansible comparison.
# Environment: QGA_BENCH_SCALE (multiplies the samples, default 1),
# QGA_BENCH_BENCH (go test -bench pattern, default .), QGA_BENCH_KEEP=1 (leave
# the guests running), QGA_BENCH_ANSIBLE=0 (skip the Ansible comparison).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
# shellcheck source=../scripts/lib.sh
. scripts/lib.sh

apt_install python3-libvirt libvirt-clients
tf=$(bash scripts/install-tf.sh terraform)

out="$QGA_CACHE/bench"
mkdir -p "$out"
domains=(qga-bench-1 qga-bench-2 qga-bench-3 qga-bench-4)
ansible_domain=qga-bench-ansible
down() {
	[ "${QGA_BENCH_KEEP:-}" = 1 ] && return 0
	for d in "$@"; do QGA_TESTBED_DOMAIN=$d bash testbed/down.sh >/dev/null 2>&1 || true; done
}
trap 'down "${domains[@]}" "$ansible_domain"' EXIT

# The first guest alone (it may build the image and start libvirtd), then
# the other three side by side.
log "starting ${domains[*]}"
QGA_TESTBED_DOMAIN=${domains[0]} bash testbed/up.sh >"$out/env-1" 2>"$out/up-1.log" || { cat "$out/up-1.log" >&2; die "could not start ${domains[0]}"; }
pids=()
for i in 2 3 4; do
	QGA_TESTBED_DOMAIN=${domains[i - 1]} bash testbed/up.sh >"$out/env-$i" 2>"$out/up-$i.log" &
	pids+=($!)
done
for i in "${!pids[@]}"; do
	wait "${pids[i]}" || { cat "$out/up-$((i + 2)).log" >&2; die "could not start ${domains[i + 1]}"; }
done
sockets=()
for i in 1 2 3 4; do sockets+=("$(sed -n 's/^QGA_TEST_SOCKET=//p' "$out/env-$i")"); done

libvirt_version=$(virsh -c qemu:///system version | sed -n 's/^Using library: libvirt //p')
qemu_version=$(qemu-system-x86_64 --version | head -n1 | sed 's/^QEMU emulator version //')
machine="$(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; libvirt $libvirt_version, QEMU $qemu_version (TCG); guest: Debian 12, 1 vCPU, qemu-ga 7.2; Go $(go env GOVERSION | sed 's/^go//')"

log "benchmarks running (log: $out/last-run.log)"
export QGA_BENCH_URI=qemu:///system
QGA_BENCH_DOMAINS=$(IFS=,; echo "${domains[*]}")
QGA_BENCH_SOCKETS=$(IFS=,; echo "${sockets[*]}")
export QGA_BENCH_DOMAINS QGA_BENCH_SOCKETS
export QGA_BENCH_TERRAFORM=$tf
export QGA_BENCH_TABLE="$out/table.md"
rm -f "$QGA_BENCH_TABLE"
started=$(date -u '+%Y-%m-%d %H:%M UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg)
if ! go test -run '^$' -bench "${QGA_BENCH_BENCH:-.}" -benchtime 1x -timeout 75m ./bench >"$out/last-run.log" 2>&1; then
	tail -n 30 "$out/last-run.log" >&2
	die "benchmarks failed (log: $out/last-run.log)"
fi
if [ "${QGA_BENCH_ANSIBLE:-1}" != 0 ]; then
	# Alone on the machine: the other guests would take its CPU.
	down "${domains[@]}"
	log "the Ansible connection plugin against its anchor, on $ansible_domain"
	QGA_TESTBED_DOMAIN=$ansible_domain QGA_TESTBED_VARIANT=python bash testbed/up.sh >/dev/null 2>"$out/up-ansible.log" ||
		{ cat "$out/up-ansible.log" >&2; die "could not start $ansible_domain"; }
	{
		echo
		echo "Ansible: the connection plugin's test playbook (20 tasks, 16 MiB each way) through each connection plugin, on $ansible_domain (Python variant):"
		echo
		bash bench/ansible-connection.sh "$ansible_domain"
	} >"$out/ansible.md" 2>"$out/ansible.log" || { cat "$out/ansible.log" >&2; die "the Ansible comparison failed (log: $out/ansible.log)"; }
	cat "$out/ansible.md" >>"$QGA_BENCH_TABLE"
fi
{
	echo "Run $started; load average before: $load"
	echo "Machine: $machine"
	echo
	cat "$QGA_BENCH_TABLE"
} | tee "$out/result.md"
