#!/usr/bin/env bash
# install-tf.sh terraform|tofu: prints the path of a Terraform 1.5.7 or OpenTofu 1.12
# binary, building it from the Go module proxy into the cache the first time
# (no prebuilt binaries can be downloaded here; Terraform takes ~3 min, OpenTofu ~4).
# install-tf.sh terraform-new: prints the path of a Terraform 1.11 or newer
# (write-only attributes) found on PATH, or QGA_TERRAFORM_NEW; none can be
# built from the Go module proxy (newer Terraform's go.mod replaces nested
# modules that the module zip lacks). Without one it says so loudly on
# stderr and exits 3.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# build_tofu FILE: OpenTofu's release build from its module zip.
build_tofu() {
	local file=$1 mod="github.com/opentofu/opentofu@v$OPENTOFU_VERSION" dir
	dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -d "$dir" ] || { log "could not download $mod"; return 1; }
	# version.dev=no: a release build reports "1.12.6", not "1.12.6-dev".
	(cd "$dir" && go build -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "$file" ./cmd/tofu)
}

what=${1:?usage: install-tf.sh terraform|tofu}
bin="$QGA_CACHE/bin"
mkdir -p "$bin"
case "$what" in
terraform)
	# A plain `go install` of the module (about 3 minutes the first time).
	out=$(go_tool terraform github.com/hashicorp/terraform "v$TERRAFORM_VERSION")
	;;
tofu)
	out="$bin/tofu-$OPENTOFU_VERSION-release"
	build_once "$out" "OpenTofu $OPENTOFU_VERSION" build_tofu "$out.tmp" >&2 || die "could not build OpenTofu $OPENTOFU_VERSION"
	;;
terraform-new)
	out=${QGA_TERRAFORM_NEW:-$(command -v terraform || true)}
	# An empty CLI configuration: TF_CLI_CONFIG_FILE may name a missing file.
	empty=$(mktemp) && trap 'rm -f "$empty"' EXIT
	version=
	[ -z "$out" ] || version=$(TF_CLI_CONFIG_FILE=$empty "$out" version -json 2>/dev/null | sed -n 's/^ *"terraform_version": "\(.*\)",$/\1/p')
	case "$version" in
	1.1[1-9].* | 1.[2-9][0-9].* | [2-9].*) ;;
	*)
		{
			echo "################################################################################"
			echo "## NO TERRAFORM 1.11 OR NEWER: ${out:-no terraform on PATH}${version:+ is $version}."
			echo "## Write-only attributes (password_wo, input_wo) are NOT tested with Terraform,"
			echo "## only with OpenTofu. Put Terraform >= 1.11 on PATH or set QGA_TERRAFORM_NEW."
			echo "################################################################################"
		} >&2
		exit 3
		;;
	esac
	;;
*) die "unknown tool '$what': want terraform, terraform-new or tofu" ;;
esac
echo "$out"
