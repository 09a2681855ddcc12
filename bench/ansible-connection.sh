#!/usr/bin/env bash
# bench/ansible-connection.sh DOMAIN: the connection plugin's test playbook
# (cmd/qga-module/testdata/connection/playbook.yml: setup, copy, template,
# file, lineinfile, user, command, stat, become, 16 MiB both ways) run once
# through qgatools.qga.qga and once through the anchor,
# community.libvirt.libvirt_qemu (Debian's `ansible` package, with
# python3-libvirt), on the same running guest with python3 and sudo, and
# once more through ours with its precompile option off (the guest's Python
# compiles the modules' module_utils on every task, as with the anchor), e.g.
#   QGA_TESTBED_DOMAIN=qga-ansible QGA_TESTBED_VARIANT=python bash testbed/up.sh
# The playbook's precompile probe (ours only) is skipped: all run the same tasks.
# Prints the whole playbook's time and the 16 MiB transfers' for each, and
# how many times faster ours is (the anchor's time over ours). bench/run.sh
# (`make bench`) runs it on a guest of its own, qga-bench-ansible.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=../scripts/lib.sh
. "$root/scripts/lib.sh"
domain=${1:?usage: bench/ansible-connection.sh DOMAIN}
apt_install ansible python3-libvirt

work=$(mktemp -d /tmp/qga-bench-ansible.XXXXXX)
trap 'rm -rf "$work"' EXIT
bash "$root/ansible/build-collection.sh" "$work/coll" >/dev/null 2>&1
head -c 16777216 /dev/urandom >"$work/big.bin"
sum=$(sha256sum "$work/big.bin" | cut -d' ' -f1)
export ANSIBLE_COLLECTIONS_PATH="$work/coll" ANSIBLE_NOCOLOR=1 ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
# Both the same way: the same interpreter, no discovery.
vars="ansible_python_interpreter=/usr/bin/python3"
printf '%s ansible_connection=qgatools.qga.qga ansible_qga_uri=qemu:///system %s\n' "$domain" "$vars" >"$work/ours.ini"
printf '%s ansible_connection=qgatools.qga.qga ansible_qga_uri=qemu:///system ansible_qga_precompile=false %s\n' "$domain" "$vars" >"$work/ours-source.ini"
printf '%s ansible_connection=community.libvirt.libvirt_qemu ansible_libvirt_uri=qemu:///system %s\n' "$domain" "$vars" >"$work/anchor.ini"

declare -A took to back
for which in ours ours-source anchor; do
	start=$(date +%s.%N)
	out=$(ansible-playbook -i "$work/$which.ini" -e "run_id=bench$which$$ conn_user=benchuser big_local=$work/big.bin big_sha256=$sum fetch_dir=$work/fetched-$which" \
		--skip-tags precompile_probe "$root/cmd/qga-module/testdata/connection/playbook.yml" 2>&1) || die "$which: the playbook failed: $(tail -n 40 <<<"$out")"
	took[$which]=$(echo "$(date +%s.%N) - $start" | bc)
	to[$which]=$(sed -n 's/^16 MiB to the guest -* \([0-9.]*\)s$/\1/p' <<<"$out")
	back[$which]=$(sed -n 's/^16 MiB back from the guest -* \([0-9.]*\)s$/\1/p' <<<"$out")
	[ -n "${to[$which]}" ] && [ -n "${back[$which]}" ] || die "$which: no time for the 16 MiB tasks in the playbook's output"
	cmp -s "$work/big.bin" "$work/fetched-$which/big.bin" || die "$which: the 16 MiB file came back different"
done
ratio() { printf '%.2f' "$(echo "scale=4; $1 / $2" | bc)"; }
printf '| connection | whole playbook (s) | 16 MiB to the guest (s) | 16 MiB back (s) |\n|---|---|---|---|\n'
printf '| qgatools.qga.qga | %.1f | %s | %s |\n' "${took[ours]}" "${to[ours]}" "${back[ours]}"
printf '| qgatools.qga.qga, precompile off | %.1f | %s | %s |\n' "${took[ours-source]}" "${to[ours-source]}" "${back[ours-source]}"
printf '| community.libvirt.libvirt_qemu (anchor) | %.1f | %s | %s |\n' "${took[anchor]}" "${to[anchor]}" "${back[anchor]}"
printf '| ours, times faster (anchor / ours) | %sx | %sx | %sx |\n' "$(ratio "${took[anchor]}" "${took[ours]}")" \
	"$(ratio "${to[anchor]}" "${to[ours]}")" "$(ratio "${back[anchor]}" "${back[ours]}")"
