# Shared shell helpers for the project's scripts. Source it; do not run it.
# Everything the scripts build or download is cached outside the checkout, in
# QGA_CACHE (default ~/.cache/qga-tools), so a second run on a machine is fast.

QGA_CACHE=${QGA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qga-tools}
export QGA_CACHE
mkdir -p "$QGA_CACHE"

# Versions the tests and the demo are run with.
TERRAFORM_VERSION=${TERRAFORM_VERSION:-1.5.7}
OPENTOFU_VERSION=${OPENTOFU_VERSION:-1.12.6}

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# as_root runs a command as root: directly when we are root, with sudo otherwise.
as_root() {
	if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
		die "'$*' needs root: run as root or install sudo"
	fi
}

# apt_install installs the Debian packages that are missing, and only those.
apt_install() {
	local missing=() p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing Debian packages: ${missing[*]}"
	as_root apt-get update -q >/dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# go_tool NAME PACKAGE VERSION: prints the path of a Go tool built from the
# Go module proxy into the cache the first time (no prebuilt binaries can be
# downloaded here).
go_tool() {
	local name=$1 pkg=$2 version=$3 out tmp
	mkdir -p "$QGA_CACHE/bin"
	out="$QGA_CACHE/bin/$name-$version"
	if [ ! -x "$out" ]; then
		log "building $name $version from the Go module proxy (once)"
		tmp=$(mktemp -d)
		GOBIN="$tmp" go install "$pkg@$version"
		mv "$tmp/$name" "$out" && rm -rf "$tmp"
	fi
	echo "$out"
}
