#!/usr/bin/env bash
# check-collection.sh VERSION WORK: installs the release's collection
# tarballs (bin/release/) with ansible-galaxy into empty collections paths
# under WORK, offline, and uses the linux-amd64 one on the test bed VM
# (QGA_TEST_URI, QGA_TEST_DOMAIN): every module by its FQCN, then
# ansible-doc of each module and plugin from the installed copy, and the
# inventory plugin on the test bed's libvirt. Part of
# scripts/test-release.sh.
set -euo pipefail
. "$(dirname "$0")/../lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
version=${1:?usage: check-collection.sh VERSION WORK}
work=${2:?usage: check-collection.sh VERSION WORK}
modules=(guest_copy guest_exec guest_fetch guest_interfaces guest_osinfo guest_ssh_keys guest_user_password)

# ansible-core's version: the oldest (here the only) one the tests run.
tested=$(ansible --version | sed -n '1s/.*core \([0-9]*\.[0-9]*\).*/\1/p')

for arch in amd64 arm64; do
	tarball="bin/release/qgatools-qga-$version-linux-$arch.tar.gz"
	path="$work/$arch"
	mkdir -p "$path"
	log "ansible-galaxy collection install $tarball (offline, into an empty path)"
	out=$(ansible-galaxy collection install --offline -p "$path" "$tarball" 2>&1) || die "ansible-galaxy: $out"
	grep -E "^(Installing|.* installed successfully)" <<<"$out" | sed 's/^/    /' >&2
	coll="$path/ansible_collections/qgatools/qga"
	# -trimpath keeps -ldflags out of the build info: look for the version itself.
	info=$(go version -m "$coll/bin/qga-module")
	grep -q "GOARCH=$arch" <<<"$info" && grep -aqF -- "$version" "$coll/bin/qga-module" ||
		die "$tarball: bin/qga-module is not the $arch build of $version: $info"
	grep -q "\"version\": \"$version\"" "$coll/MANIFEST.json" || die "$tarball: MANIFEST.json has not version $version"
	for m in "${modules[@]}"; do
		[ "$(readlink "$coll/plugins/modules/$m")" = ../../bin/qga-module ] || die "$tarball: plugins/modules/$m is not the link to the binary"
	done
	floor=$(sed -n "s/^requires_ansible: *'>=\([0-9.]*\)'.*/\1/p" "$coll/meta/runtime.yml")
	[ "$floor" = "$tested" ] || die "requires_ansible says >=$floor, the tests run ansible-core $tested: make them agree"
done

# The amd64 collection, and only it, on the VM.
export ANSIBLE_COLLECTIONS_PATH="$work/amd64" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
coll="$work/amd64/ansible_collections/qgatools/qga"
"$coll/bin/qga-module" --version | sed 's/^/    /' >&2
[ "$("$coll/bin/qga-module" --version)" = "qga-module (collection qgatools.qga) $version linux/amd64" ] || die "qga-module --version"
listed=$(ansible-galaxy collection list qgatools.qga 2>/dev/null | grep '^qgatools\.qga')
[ "$(wc -l <<<"$listed")" = 1 ] && [ "$(awk '{ print $2 }' <<<"$listed")" = "$version" ] || die "collections seen: $listed"

log "ansible-playbook $here/playbook.yml with the installed collection"
out=$(ansible-playbook -i localhost, "$here/playbook.yml" -e "qga_uri=$QGA_TEST_URI" -e "qga_domain=$QGA_TEST_DOMAIN" 2>&1) ||
	die "the playbook failed: $out"
grep -A1 '^PLAY RECAP' <<<"$out" | tail -1 | sed 's/^/    /' >&2
grep -q 'failed=0' <<<"$out" || die "$out"

for m in "${modules[@]}"; do
	doc=$(ansible-doc -t module "qgatools.qga.$m" 2>&1) || die "ansible-doc qgatools.qga.$m: $doc"
	grep -q "^> QGATOOLS.QGA.${m^^} *($coll/plugins/modules/$m.py)" <<<"$doc" || die "ansible-doc qgatools.qga.$m: $(head -3 <<<"$doc")"
	! grep -q WARNING <<<"$doc" || die "ansible-doc qgatools.qga.$m warns: $doc"
done
[ "$(ansible-doc -t module -l qgatools.qga 2>&1 | awk '{ print $1 }' | sort | tr '\n' ' ')" = "$(printf 'qgatools.qga.%s ' "${modules[@]}")" ] ||
	die "ansible-doc -l qgatools.qga: $(ansible-doc -t module -l qgatools.qga 2>&1)"
log "ansible-doc: ${modules[*]} documented from $coll"
# The plugins, from the tarball: their documentation, and the inventory
# plugin's helper run (qga-module --inventory) on the test bed's libvirt.
for plugin in connection/qga inventory/libvirt_guests; do
	type=${plugin%%/*} name=${plugin#*/}
	doc=$(ansible-doc -t "$type" "qgatools.qga.$name" 2>&1) || die "ansible-doc -t $type qgatools.qga.$name: $doc"
	grep -q "^> QGATOOLS.QGA.${name^^} *($coll/plugins/$plugin.py)" <<<"$doc" || die "ansible-doc -t $type qgatools.qga.$name: $(head -3 <<<"$doc")"
done
printf 'plugin: qgatools.qga.libvirt_guests\nuri: %s\n' "$QGA_TEST_URI" >"$work/release.libvirt_guests.yml"
inv=$(ansible-inventory -i "$work/release.libvirt_guests.yml" --host "$QGA_TEST_DOMAIN" 2>&1) || die "ansible-inventory with qgatools.qga.libvirt_guests: $inv"
grep -q '"ansible_connection": "qgatools.qga.qga"' <<<"$inv" || die "ansible-inventory --host $QGA_TEST_DOMAIN: $inv"
log "ansible-doc: the connection and inventory plugins; the inventory plugin lists $QGA_TEST_DOMAIN"
