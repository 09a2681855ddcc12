#!/usr/bin/env bash
# Prints the path of tfplugindocs, built from the Go module proxy into the
# cache the first time.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
version=v0.25.0
out="$QGA_CACHE/bin/tfplugindocs-$version"
if [ ! -x "$out" ]; then
	log "building tfplugindocs $version from the Go module proxy (once)"
	tmp=$(mktemp -d)
	GOBIN="$tmp" go install "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs@$version"
	mv "$tmp/tfplugindocs" "$out" && rm -rf "$tmp"
fi
echo "$out"
