#!/usr/bin/env bash
# test-release.sh: proves the release path end to end, offline, against the
# test bed VM (QGA_TEST_URI, QGA_TEST_DOMAIN: eval "$(bash testbed/up.sh)").
#  1. scripts/release.sh (what `make release` runs) with a throwaway GPG key;
#     the artifact set, SHA256SUMS and `gpg --verify` of its signature;
#  2. Terraform 1.5.7 and OpenTofu 1.12, each: `init` from a local signed
#     registry (the registry protocol over HTTPS, serving dist/), so that the
#     lock file gets the release's zh: hashes, compared with SHA256SUMS; then
#     `init` again from a filesystem mirror of the zips (the offline install,
#     checked against those hashes), `plan` and `apply` on the VM, and an
#     `init` from a mirror with a tampered zip, which must fail;
#  3. Ansible: `ansible-galaxy collection install` of the tarball into an
#     empty collections path, a playbook with every module by its FQCN on
#     the VM, `ansible-doc` of each module from the installed copy.
# No dev_overrides, nothing from the build tree but the release files.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
here=scripts/release-test

: "${QGA_TEST_URI:?run with the test bed environment: eval \"\$(bash testbed/up.sh)\"}"
: "${QGA_TEST_DOMAIN:?run with the test bed environment: eval \"\$(bash testbed/up.sh)\"}"
apt_install gnupg zip unzip openssl python3 ansible-core
terraform=$(bash scripts/install-tf.sh terraform)
tofu=$(bash scripts/install-tf.sh tofu)
t0=$(date +%s)

work=$(mktemp -d /tmp/qga-release-test.XXXXXX)
server_pid=""
cleanup() {
	[ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
	gpgconf --homedir "$work/gnupg" --kill gpg-agent 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
# Only what this script sets decides where providers come from.
unset TF_PLUGIN_CACHE_DIR TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_plan TF_CLI_ARGS_apply
export TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1

# ---- 1. the release, signed with a throwaway key
export GNUPGHOME="$work/gnupg"
mkdir -m 700 "$GNUPGHOME"
gpg --batch --passphrase '' --quick-gen-key 'qga release test <release-test@qga.invalid>' rsa3072 sign 1d 2>"$work/gpg.log" ||
	die "gpg --quick-gen-key: $(cat "$work/gpg.log")"
GPG_FINGERPRINT=$(gpg --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
export GPG_FINGERPRINT
t=$(date +%s)
bash scripts/release.sh
release_s=$(($(date +%s) - t))
version=$(python3 -c 'import json; print(json.load(open("dist/metadata.json"))["version"])')
log "release $version built in $release_s s; checking the artifacts"

name=terraform-provider-qga
sums="dist/${name}_${version}_SHA256SUMS"
verify=$(gpg --verify "$sums.sig" "$sums" 2>&1) || die "gpg --verify $sums.sig failed: $verify"
grep -q '^gpg: Good signature' <<<"$verify" || die "gpg --verify: $verify"
want_zips=$(for os in darwin freebsd linux windows; do for arch in amd64 arm64; do
	echo "${name}_${version}_${os}_${arch}.zip"
done; done)
[ "$(cd dist && ls -- *.zip)" = "$want_zips" ] || die "dist/ zips: $(cd dist && ls -- *.zip)"
[ "$(awk '{ print $2 }' "$sums" | sort)" = "$(printf '%s\n' "$want_zips" "${name}_${version}_manifest.json" | sort)" ] ||
	die "$sums lists: $(awk '{ print $2 }' "$sums")"
(cd dist && grep '\.zip$' "$(basename "$sums")" | sha256sum --quiet -c -) || die "a zip does not match $sums"
grep -qx "$(sha256sum <terraform-registry-manifest.json | cut -d' ' -f1)  ${name}_${version}_manifest.json" "$sums" ||
	die "$sums: the manifest's line does not match terraform-registry-manifest.json"
python3 -c 'import json, sys; assert json.load(open(sys.argv[1]))["metadata"]["protocol_versions"] == ["6.0"]' terraform-registry-manifest.json
for zip in dist/*.zip; do
	bin="${name}_v${version}"
	[[ "$zip" == *windows* ]] && bin="$bin.exe"
	[ "$(unzip -Z1 "$zip")" = "$bin" ] || die "$zip holds $(unzip -Z1 "$zip" | tr '\n' ' '), want only $bin"
done
unzip -q -d "$work/unzipped" "dist/${name}_${version}_linux_amd64.zip"
# -trimpath keeps -ldflags out of the build info: look for the version itself.
grep -aqF -- "$version" "$work/unzipped/${name}_v${version}" || die "the provider binary does not carry version $version"

# ---- 2. Terraform and OpenTofu
# A local registry: HTTPS with a throwaway CA, the release's signing key.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$work/tls.key" -out "$work/tls.crt" 2>/dev/null
mkdir "$work/registry"
python3 "$here/https-server.py" "$work/registry" "$work/tls.crt" "$work/tls.key" "$work/port" 2>"$work/registry.log" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || die "the local registry did not start: $(cat "$work/registry.log")"
registry="https://127.0.0.1:$(cat "$work/port")"
gpg --armor --export "$GPG_FINGERPRINT" >"$work/key.asc"
python3 "$here/make-registry.py" dist "$version" "$work/key.asc" "${GPG_FINGERPRINT: -16}" "$work/registry" "$registry"
export SSL_CERT_FILE="$work/tls.crt"

# A filesystem mirror in the packed layout: HOST/qgatools/qga/<the zips>.
for host in registry.terraform.io registry.opentofu.org; do
	mkdir -p "$work/mirror/$host/qgatools/qga"
	cp dist/*.zip "$work/mirror/$host/qgatools/qga/"
done
# ... and one whose linux_amd64 zip holds another program under the same name.
printf '#!/bin/sh\n' >"$work/${name}_v${version}"
for host in registry.terraform.io registry.opentofu.org; do
	mkdir -p "$work/tampered/$host/qgatools/qga"
	zip -qj "$work/tampered/$host/qgatools/qga/${name}_${version}_linux_amd64.zip" "$work/${name}_v${version}"
done
sed "s|@REGISTRY@|$registry|" "$here/registry.tfrc.in" >"$work/registry.tfrc"
sed "s|@MIRROR@|$work/mirror|" "$here/mirror.tfrc.in" >"$work/mirror.tfrc"
sed "s|@MIRROR@|$work/tampered|" "$here/mirror.tfrc.in" >"$work/tampered.tfrc"

# SHA256SUMS as a lock file records it: a zh: hash for every line (the
# manifest's too), once the registry's signature check has passed.
sums_zh=$(awk '{ print "zh:" $1 }' "$sums" | sort)

# tf_proof TOOL BINARY HOST: init (registry), init (mirror), plan, apply.
tf_proof() {
	local tool=$1 tf=$2 host=$3 dir="$work/$1" t
	t=$(date +%s)
	mkdir "$dir"
	sed "s|@VERSION@|$version|" "$here/main.tf.in" >"$dir/main.tf"
	export TF_VAR_uri="$QGA_TEST_URI" TF_VAR_domain="$QGA_TEST_DOMAIN"
	log "$tool: init from the signed local registry"
	TF_CLI_CONFIG_FILE="$work/registry.tfrc" "$tf" -chdir="$dir" init -input=false -no-color >"$dir/init-registry.log" 2>&1 ||
		die "$tool init (registry) failed: $(cat "$dir/init-registry.log")"
	grep -F "Installed qgatools/qga v$version (" "$dir/init-registry.log" | sed 's/^/    /' >&2
	grep -qE "Installed qgatools/qga v$version \((self-)?signed" "$dir/init-registry.log" || die "$tool did not check the signature"
	[ "$(grep -o '"zh:[0-9a-f]*"' "$dir/.terraform.lock.hcl" | tr -d '"' | sort)" = "$sums_zh" ] ||
		die "$tool: the lock file's zh: hashes are not those of $sums: $(cat "$dir/.terraform.lock.hcl")"
	log "$tool: .terraform.lock.hcl has the $(wc -l <<<"$sums_zh") zh: hashes of SHA256SUMS"
	grep -qF "provider \"$host/qgatools/qga\"" "$dir/.terraform.lock.hcl" || die "$tool: no lock for $host/qgatools/qga"

	log "$tool: init from the filesystem mirror, checked against the lock file"
	rm -rf "$dir/.terraform"
	export TF_CLI_CONFIG_FILE="$work/mirror.tfrc"
	"$tf" -chdir="$dir" init -input=false -no-color >"$dir/init-mirror.log" 2>&1 ||
		die "$tool init (mirror) failed: $(cat "$dir/init-mirror.log")"
	grep -F "Installed qgatools/qga v$version" "$dir/init-mirror.log" | sed 's/^/    /' >&2
	cmp -s "$dir/.terraform/providers/$host/qgatools/qga/$version/linux_amd64/${name}_v${version}" "$work/unzipped/${name}_v${version}" ||
		die "$tool: the installed provider is not the released binary"

	"$tf" -chdir="$dir" plan -input=false -no-color -out=plan >"$dir/plan.log" 2>&1 || die "$tool plan failed: $(cat "$dir/plan.log")"
	grep -q "Plan: 1 to add, 0 to change, 0 to destroy" "$dir/plan.log" || die "$tool plan: $(cat "$dir/plan.log")"
	"$tf" -chdir="$dir" apply -input=false -no-color plan >"$dir/apply.log" 2>&1 || die "$tool apply failed: $(cat "$dir/apply.log")"
	grep "Apply complete" "$dir/apply.log" | sed 's/^/    /' >&2
	[ "$("$tf" -chdir="$dir" output -raw exit_code)" = 0 ] || die "$tool: /bin/true did not exit 0"
	[ "$("$tf" -chdir="$dir" output -raw os_id)" = debian ] || die "$tool: qga_guest_osinfo did not read the guest"

	log "$tool: init from a mirror whose zip was tampered with must fail"
	rm -rf "$dir/.terraform"
	export TF_CLI_CONFIG_FILE="$work/tampered.tfrc"
	if "$tf" -chdir="$dir" init -input=false -no-color >"$dir/init-tampered.log" 2>&1; then
		die "$tool init accepted a tampered zip: $(cat "$dir/init-tampered.log")"
	fi
	grep -m1 "checksum" "$dir/init-tampered.log" | sed 's/^/    /' >&2 || die "$tool init (tampered) failed otherwise: $(cat "$dir/init-tampered.log")"
	unset TF_CLI_CONFIG_FILE
	log "$tool: done in $(($(date +%s) - t)) s"
}
tf_proof terraform "$terraform" registry.terraform.io
tf_proof tofu "$tofu" registry.opentofu.org

# ---- 3. the Ansible collection
bash "$here/check-collection.sh" "$version" "$work/ansible"

log "release test passed in $(($(date +%s) - t0)) s (release build $release_s s); artifacts:"
ls -l dist/*.zip dist/*SHA256SUMS* bin/release/*.tar.gz | awk '{ printf "    %10d  %s\n", $5, $9 }' >&2
