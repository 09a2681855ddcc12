#!/usr/bin/env bash
# Builds the Ansible collection qgatools.qga: the static module binary
# (cmd/qga-module, CGO_ENABLED=0) linked under each module name next to its
# documentation, in OUT_DIR/ansible_collections/qgatools/qga, so that
#   ANSIBLE_COLLECTIONS_PATH=OUT_DIR ansible-playbook ...
# finds it. With --tarball it also builds the Galaxy archive
# OUT_DIR/qgatools-qga-<version>.tar.gz with ansible-galaxy.
#
# Usage: ansible/build-collection.sh [--tarball] [OUT_DIR]   (OUT_DIR defaults to ./bin)
# GOOS/GOARCH are honoured, to build for a hypervisor of another architecture.
# QGA_VERSION (a release's version) replaces galaxy.yml's version, in the
# collection and in `qga-module --version`.
set -euo pipefail

usage() { sed -n '2,13s/^# \{0,1\}//p' "$0"; }

tarball=false
out=""
for arg in "$@"; do
	case "$arg" in
	--tarball) tarball=true ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "build-collection.sh: unknown option $arg" >&2; usage >&2; exit 2 ;;
	*) [ -z "$out" ] || { echo "build-collection.sh: one OUT_DIR only" >&2; exit 2; }; out="$arg" ;;
	esac
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/ansible/collection"
out="$(mkdir -p "${out:-$root/bin}" && cd "${out:-$root/bin}" && pwd)"
dest="$out/ansible_collections/qgatools/qga"
GO="${GO:-go}"

# The modules are the documented ones: each plugins/modules/<name>.py (its
# DOCUMENTATION/EXAMPLES/RETURN, for ansible-doc) gets a module <name>.
# qga-module's tests check that the binary implements exactly these.
modules=()
for doc in "$src"/plugins/modules/*.py; do
	modules+=("$(basename "$doc" .py)")
done
[ "${#modules[@]}" -gt 0 ] || { echo "build-collection.sh: no module docs in $src/plugins/modules" >&2; exit 1; }

# Build into a fresh tree, then swap it in, so a failed build leaves the
# previous collection usable.
stage="$(mktemp -d "$out/.qga-collection.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
cp -R "$src/." "$stage/"
cp "$root/LICENSE" "$stage/LICENSE"
version="${QGA_VERSION:-$(sed -n 's/^version: *//p' "$src/galaxy.yml")}"
sed -i "s/^version: .*/version: $version/" "$stage/galaxy.yml"
mkdir -p "$stage/bin"
(cd "$root" && CGO_ENABLED=0 "$GO" build -trimpath -ldflags "-s -w -X main.version=$version" -o "$stage/bin/qga-module" ./cmd/qga-module)
# Each module is a symlink to the one binary. Ansible runs (copies) the
# file the link points to. ansible-doc -l skips symlinked modules and lists
# the .py documentation file instead: a binary listed there would make
# ansible-core <= 2.18 warn that it cannot read its documentation
# (ansible/ansible#85279). ansible-galaxy keeps the links in the tarball.
for m in "${modules[@]}"; do
	ln -s ../../bin/qga-module "$stage/plugins/modules/$m"
done

mkdir -p "$(dirname "$dest")"
rm -rf "$dest"
mv "$stage" "$dest"
chmod 755 "$dest"
trap - EXIT
echo "collection qgatools.qga (modules: ${modules[*]}) in $dest" >&2

if $tarball; then
	command -v ansible-galaxy >/dev/null || { echo "build-collection.sh: --tarball needs ansible-galaxy (apt-get install ansible-core)" >&2; exit 1; }
	ansible-galaxy collection build --force --output-path "$out" "$dest" >&2
	ls "$out"/qgatools-qga-*.tar.gz
fi
