#!/usr/bin/env bash
# install-tf.sh terraform|tofu: prints the path of a Terraform 1.5.7 or OpenTofu 1.12
# binary, building it from the Go module proxy into the cache the first time
# (no prebuilt binaries can be downloaded here; Terraform takes ~3 min, OpenTofu ~4).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

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
	if [ ! -x "$out" ]; then
		log "building OpenTofu $OPENTOFU_VERSION from the Go module proxy (about 4 minutes)"
		mod="github.com/opentofu/opentofu@v$OPENTOFU_VERSION"
		dir=$(cd /tmp && GOFLAGS=-mod=mod go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
		[ -d "$dir" ] || die "could not download $mod"
		# version.dev=no: a release build reports "1.12.6", not "1.12.6-dev".
		(cd "$dir" && go build -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "$out.tmp" ./cmd/tofu) && mv "$out.tmp" "$out"
	fi
	;;
*) die "unknown tool '$what': want terraform or tofu" ;;
esac
echo "$out"
