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

# build_once OUT DESCRIPTION COMMAND...: runs COMMAND (which must write
# "$OUT.tmp") unless OUT exists, then moves the result to OUT. One build per
# OUT at a time: a second caller (a test waiting for the tool that
# scripts/build-tools.sh is building in the background) waits for the first
# and uses its result instead of building the same tool again.
build_once() {
	local out=$1 what=$2
	shift 2
	[ -x "$out" ] && return 0
	mkdir -p "$(dirname "$out")"
	exec {lock}>"$out.lock"
	if ! flock -n "$lock"; then
		log "waiting for the build of $what that is already running (log: $QGA_CACHE/build-tools.log)"
		flock "$lock"
	fi
	if [ ! -x "$out" ]; then
		log "building $what from the Go module proxy (once)"
		rm -f "$out.tmp"
		"$@" && mv "$out.tmp" "$out" || { exec {lock}>&-; return 1; }
	fi
	exec {lock}>&-
}

# go_tool NAME PACKAGE VERSION: prints the path of a Go tool built from the
# Go module proxy into the cache the first time (no prebuilt binaries can be
# downloaded here).
go_tool() {
	local name=$1 pkg=$2 version=$3
	local out="$QGA_CACHE/bin/$name-$version"
	build_once "$out" "$name $version" go_install_to "$out.tmp" "$name" "$pkg@$version" >&2 || die "could not build $name $version"
	echo "$out"
}

# go_install_to FILE NAME PACKAGE@VERSION: `go install`, with the binary
# (NAME) moved to FILE.
go_install_to() {
	local file=$1 name=$2 pkg=$3 tmp
	tmp=$(mktemp -d)
	GOBIN="$tmp" go install "$pkg" && mv "$tmp/$name" "$file"
	local rc=$?
	rm -rf "$tmp"
	return $rc
}
