#!/usr/bin/env bash
# release.sh [TAG]: the release artifacts with GoReleaser (.goreleaser.yml):
# the provider's zips, SHA256SUMS, its signature and the registry manifest
# in dist/, the Ansible collection tarballs in bin/release/. Nothing is
# published (.github/workflows/release.yml does that on a tag).
#   no TAG: a snapshot, version <next patch>-dev.<UTC time>
#   TAG:    vX.Y.Z, which must point at HEAD of a clean tree
# Signing: GPG_FINGERPRINT names a secret key in gpg's keyring (GNUPGHOME);
# a snapshot without it is built unsigned.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."

tag=${1:-}
goreleaser=$(bash scripts/install-goreleaser.sh)
args=(release --clean)
if [ -z "${GPG_FINGERPRINT:-}" ]; then
	[ -z "$tag" ] || die "a tagged release must be signed: set GPG_FINGERPRINT"
	log "GPG_FINGERPRINT is not set: the snapshot's SHA256SUMS stays unsigned"
	args+=(--skip=sign)
else
	apt_install gnupg
fi
if [ -z "$tag" ]; then
	args+=(--snapshot)
else
	[[ "$tag" =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "tag '$tag' is not vX.Y.Z"
	[ "$(git rev-parse "$tag^{commit}")" = "$(git rev-parse HEAD)" ] || die "tag $tag does not point at HEAD"
	export GORELEASER_CURRENT_TAG="$tag"
	args+=(--skip=publish,announce)
fi
log "goreleaser ${args[*]}"
"$goreleaser" "${args[@]}"
