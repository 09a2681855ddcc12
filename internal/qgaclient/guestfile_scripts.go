package qgaclient

// The guest side of PutFile, StatFile and RemoveFile: POSIX sh scripts run
// with guest-exec, every value passed as an argument (never spliced into
// the script), every name after "--", helpers on a fixed PATH.
//
// Who may write where. The agent runs as root; a directory that another
// user can write is a place where that user can swap names under root's
// feet (replace the temporary file with a symlink to /etc/shadow just
// before root's chmod or rename). So before any write the scripts look at
// every directory from the file's up to "/":
//   - all owned by root and writable by root only (or sticky, like /tmp):
//     root does the work ("trust root");
//   - some owned by one other user U and writable by U only: the work
//     that touches names is done as U (setpriv), who can then only harm
//     their own files ("trust user UID GID");
//   - anything else (a directory writable by a group or by everyone, or by
//     two users): refused, naming the directory ("refuse WHY LEVEL").

// guestFilePath is the fixed PATH of the scripts.
const guestFilePath = `PATH=/usr/sbin:/usr/bin:/sbin:/bin; export PATH
`

// trustWalk is a function the scripts share, called as "trust DIR [STAGE
// [FILE]]" for DIR, a directory that exists. It sets tr to DIR's trust
// line (see above); a refusal names the directory by how many levels above
// DIR it is (0: DIR itself): a name printed by the guest could hold
// anything, newlines too. With STAGE (a directory) it sets stage to "safe"
// when STAGE and all its ancestors are root's alone, else "unsafe"; with
// FILE, it sets fst to FILE's "UID MODE GID". One stat for all of it: each
// process costs a TCG guest milliseconds. It runs in the caller's shell
// (no subshell), so its own variables begin with "_".
const trustWalk = `trust() {
	_d=$1 _s=$2 _f=$3 _nd=
	set --
	[ -z "$_f" ] || set -- "$_f"
	_nf=$#
	# DIR and its ancestors up to /, then STAGE's; _nd counts up to DIR's last.
	for _a in "$_d" "$_s"; do
		while [ -n "$_a" ]; do
			set -- "$@" "$_a"
			[ "$_a" = / ] && break
			_a=${_a%/*}; [ -n "$_a" ] || _a=/
		done
		[ -n "$_nd" ] || _nd=$#
	done
	_st=$(stat -L --printf='%u %a %g\n' -- "$@") || return 1
	tr= stage= _user= _un= _i=0
	[ -z "$_s" ] || stage=safe
	while read -r _u _m _g; do
		_i=$((_i + 1))
		if [ $_i -le $_nf ]; then fst="$_u $_m $_g"; continue; fi
		_m=$((0$_m)) _open=0
		if [ $((_m & 18)) -ne 0 ] && { [ $((_m & 512)) -eq 0 ] || [ "$_u" != 0 ]; }; then _open=1; fi
		if [ $_i -gt $_nd ]; then
			[ $_open = 0 ] && [ "$_u" = 0 ] || stage=unsafe
			continue
		fi
		[ -z "$tr" ] || continue
		_n=$((_i - _nf - 1))
		if [ $_open = 1 ]; then tr="refuse writable-by-group-or-others $_n"; continue; fi
		if [ "$_u" != 0 ]; then
			if [ -n "$_user" ] && [ "$_user" != "$_u" ]; then tr="refuse owned-by-two-users $_n"; continue; fi
			_user=$_u _un=$_n
		fi
	done <<EOF
$_st
EOF
	[ -z "$tr" ] || return 0
	[ -n "$_user" ] || { tr="trust root"; return 0; }
	_g=$(id -g -- "$_user" 2>/dev/null) || { tr="refuse owner-has-no-account $_un"; return 0; }
	tr="trust user $_user $_g"
}
`

// statFileScript: $1 the path, $2 "hash" to add its sha256. Prints
// "absent", "link", or the type (stat's %F), size, mode (octal), uid, gid,
// owner and group names, one a line, then the hash line of sha256sum for a
// regular file.
const statFileScript = guestFilePath + `p=$1 h=$2
if [ -L "$p" ]; then echo link; exit 0; fi
[ -e "$p" ] || { echo absent; exit 0; }
stat --printf='%F\n%s\n%a\n%u\n%g\n%U\n%G\n' -- "$p" || exit 3
if [ "$h" = hash ] && [ -f "$p" ]; then sha256sum <"$p" || exit 4; fi`

// putFileScript does all of PutFile's work in the guest but moving the
// content, in one run for a small file, two for a large one (each process
// costs a TCG guest time):
//
//	plan    P D MK MODE OWN GRP STAGING: before a large upload, checks
//	        everything and prints "root" (the agent may write the content
//	        to a new name in D) or "user" (it goes to STAGING/f; STAGING is
//	        made here, root's, mode 700);
//	install P D MK MODE OWN GRP F T C H: checks everything again and puts the
//	        content of F, a file only root can change, in place at P by way
//	        of the new name T in D (T is F itself when the agent wrote it
//	        there), then prints "done WHAT AS" (WHAT: absent, link or file
//	        before; AS: the uid the names were changed as, -1 for root) and
//	        P's stat lines (statFileScript's; with its hash when H is
//	        "hash").
//
// P is the file, D its directory, MK "1" to create D (as root, mode 755).
// MODE, OWN and GRP are what was asked; empty: an existing file keeps its
// own, and a new one gets mode 644 and belongs to whoever writes it (root,
// or the owner of the directory). A run that cannot go on prints one line
// and exits 0: nodir, dir, "refuse WHY LEVEL" (see trust), "cannot-give
// UID" (the directory is UID's, who cannot give the file to OWN),
// "foreign-file FUID UID" (the file is FUID's but the directory UID's, so
// it would change hands without OWN saying so), "stage-unsafe" (F's
// directory is not root's alone). An install run removes C in every case
// (F, or the staging directory): the caller does only when the run failed
// to happen.
const putFileScript = guestFilePath + trustWalk + `phase=$1 p=$2 d=$3 mk=$4 mode=$5 own=$6 grp=$7 f=$8 t=$9 c=${10} h=${11}
if [ "$phase" = install ]; then
	# rm only when C is still there (no process for nothing).
	trap 'if [ -d "$c" ] && [ ! -L "$c" ]; then rm -rf -- "$c"; elif [ -e "$c" ] || [ -L "$c" ]; then rm -f -- "$c"; fi' EXIT
fi
decide() {
	if [ ! -d "$d" ]; then
		[ "$mk" = 1 ] || { echo nodir; return 1; }
		(umask 022 && mkdir -p -- "$d") || exit 3
	fi
	if [ -L "$p" ]; then what=link
	elif [ -d "$p" ]; then what=dir
	elif [ -e "$p" ]; then what=file
	else what=absent
	fi
	sd= fl=
	[ "$phase" != install ] || sd=${f%/*}
	[ "$what" != file ] || fl=$p
	trust "$d" "$sd" "$fl" || exit 3
	case $tr in refuse*) echo "$tr"; return 1 ;; esac
	[ "$what" != dir ] || { echo dir; return 1; }
	fmode= fuid= fgid=
	if [ "$what" = file ]; then
		fuid=${fst%% *} fgid=${fst##* } fmode=${fst#* }
		fmode=${fmode% *}
	fi
	[ -n "$mode" ] || mode=${fmode:-644}
	[ -n "$grp" ] || grp=$fgid
	case $tr in
	"trust root") [ -n "$own" ] || own=${fuid:-0} ;;
	*)
		uid=${tr#trust user } gid=${uid#* } uid=${uid% *}
		if [ -n "$own" ] && [ "$own" != "$uid" ] && [ "$(id -u -- "$own" 2>/dev/null)" != "$uid" ]; then
			echo "cannot-give $uid"; return 1
		fi
		if [ "$what" = file ] && [ "$fuid" != "$uid" ] && [ -z "$own" ]; then
			echo "foreign-file $fuid $uid"; return 1
		fi ;;
	esac
}
decide || exit 0
if [ "$phase" = plan ]; then
	case $tr in
	"trust root") echo root ;;
	*) mkdir -m 700 -- "$f" || exit 3; echo user ;;
	esac
	exit 0
fi
[ "$stage" = safe ] && [ -f "$f" ] && [ ! -L "$f" ] || { echo stage-unsafe; exit 0; }
case $tr in
"trust root")
	as=-1
	if [ "$f" != "$t" ]; then
		# One process copies, gives and sets the mode (cat, chown, chmod).
		set -- -T -m "$mode" -o "$own"
		[ -z "$grp" ] || set -- "$@" -g "$grp"
		install "$@" -- "$f" "$t" || { rm -f -- "$t"; exit 1; }
	elif ! { chown -h -- "$own${grp:+:$grp}" "$t" && chmod -- "$mode" "$t"; }; then
		rm -f -- "$t"; exit 1
	fi
	mv -f -T -- "$t" "$p" || { rm -f -- "$t"; exit 1; } ;;
*)
	# As the user: the content, opened by root for the user's stdin, goes
	# to a new file created exclusively, which gets its mode and group and
	# is renamed over the file.
	as=$uid
	setpriv --reuid="$uid" --regid="$gid" --init-groups -- /bin/sh -c '
PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 077; set -C
if cat >"$1" && { [ -z "$4" ] || chgrp -- "$4" "$1"; } && chmod -- "$3" "$1" && mv -f -T -- "$1" "$2"; then exit 0; fi
rm -f -- "$1"; exit 1' qga-put "$t" "$p" "$mode" "$grp" <"$f" || exit 1 ;;
esac
echo "done $what $as"
stat --printf='%F\n%s\n%a\n%u\n%g\n%U\n%G\n' -- "$p" || exit 3
if [ "$h" = hash ]; then sha256sum <"$p" || true; fi`

// removeFileScript: $1 the file. Removes it (a regular file or a symlink,
// never a directory) as whoever may change names in its directory (see
// trust); prints "absent", "dir", the refuse line, or "removed".
const removeFileScript = guestFilePath + trustWalk + `p=$1 d=$2
if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; exit 0; fi
if [ -d "$p" ] && [ ! -L "$p" ]; then echo dir; exit 0; fi
trust "$d" || exit 3
case $tr in
"trust root") rm -f -- "$p" || exit 1 ;;
"trust user "*) set -- $tr; setpriv --reuid="$3" --regid="$4" --init-groups -- rm -f -- "$p" || exit 1 ;;
*) echo "$tr"; exit 0 ;;
esac
echo removed`
