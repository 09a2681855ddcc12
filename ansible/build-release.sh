#!/usr/bin/env bash
# Builds the release tarballs of the collection qgatools.qga, one per
# architecture of the host that runs the modules (the hypervisor, or the
# controller with delegate_to: localhost):
#   OUT_DIR/qgatools-qga-VERSION-linux-amd64.tar.gz
#   OUT_DIR/qgatools-qga-VERSION-linux-arm64.tar.gz
# Each is a plain Galaxy archive: `ansible-galaxy collection install FILE`.
# OUT_DIR is emptied first. GoReleaser runs this as a before hook.
#
# Usage: ansible/build-release.sh VERSION OUT_DIR
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

version=${1:?usage: build-release.sh VERSION OUT_DIR}
out=${2:?usage: build-release.sh VERSION OUT_DIR}
apt_install ansible-core # ansible-galaxy builds the archive

rm -rf "$out" && mkdir -p "$out"
for arch in amd64 arm64; do
	work=$(mktemp -d)
	GOOS=linux GOARCH="$arch" QGA_VERSION="$version" \
		bash "$(dirname "$0")/build-collection.sh" --tarball "$work" >/dev/null
	mv "$work/qgatools-qga-$version.tar.gz" "$out/qgatools-qga-$version-linux-$arch.tar.gz"
	rm -rf "$work"
done
ls -l "$out" >&2
