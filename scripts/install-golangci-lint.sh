#!/usr/bin/env bash
# Prints the path of golangci-lint, built from the Go module proxy into the
# cache the first time (no prebuilt binaries can be downloaded here).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
version=v2.15.0
out="$QGA_CACHE/bin/golangci-lint-$version"
if [ ! -x "$out" ]; then
	log "building golangci-lint $version from the Go module proxy (a few minutes, once)"
	tmp=$(mktemp -d)
	GOBIN="$tmp" go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$version"
	mv "$tmp/golangci-lint" "$out" && rm -rf "$tmp"
fi
echo "$out"
