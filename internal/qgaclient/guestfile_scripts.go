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

// trustWalk is a function the scripts share: trust DIR prints the trust
// line for DIR (which exists) and its ancestors. A refusal names the
// directory by how many levels above DIR it is (0: DIR itself): a name
// printed by the guest could hold anything, newlines too.
const trustWalk = `trust() {
	a=$1 user= n=0
	while :; do
		s=$(stat -L --printf='%u %a' -- "$a") || return 1
		u=${s% *} m=$((0${s#* }))
		if [ $((m & 18)) -ne 0 ] && { [ $((m & 512)) -eq 0 ] || [ "$u" != 0 ]; }; then
			echo "refuse writable-by-group-or-others $n"; return 0
		fi
		if [ "$u" != 0 ]; then
			if [ -n "$user" ] && [ "$user" != "$u" ]; then echo "refuse owned-by-two-users $n"; return 0; fi
			user=$u un=$n
		fi
		[ "$a" = / ] && break
		a=${a%/*}; [ -n "$a" ] || a=/
		n=$((n + 1))
	done
	[ -n "$user" ] || { echo "trust root"; return 0; }
	g=$(id -g -- "$user" 2>/dev/null) || { echo "refuse owner-has-no-account $un"; return 0; }
	echo "trust user $user $g"
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

// preparePutScript: $1 the file, $2 its directory, $3 "1" to create the
// directory (mode 755, as root), $4 a fresh staging directory for the
// "trust user" case. Prints "nodir" alone, or: the trust line; then
// "absent", "link", "dir", or "file MODE UID GID" for what is at $1; then,
// for "trust user", "staged" once $4 exists (mode 700, root's).
const preparePutScript = guestFilePath + trustWalk + `p=$1 d=$2 mk=$3 s=$4
if [ ! -d "$d" ]; then
	[ "$mk" = 1 ] || { echo nodir; exit 0; }
	(umask 022 && mkdir -p -- "$d") || exit 3
fi
t=$(trust "$d") || exit 3
echo "$t"
case $t in refuse*) exit 0 ;; esac
if [ -L "$p" ]; then echo link
elif [ -d "$p" ]; then echo dir
elif [ -e "$p" ]; then stat --printf='file %a %u %g\n' -- "$p" || exit 3
else echo absent
fi
case $t in "trust user "*) mkdir -m 700 -- "$s" && echo staged || exit 3 ;; esac`

// finishPutRootScript: "trust root". $1 the temporary file the agent wrote
// (in the file's directory), $2 the file, $3 the mode (octal), $4 the
// owner (chown's OWNER[:GROUP], numeric or names). The rename replaces the
// file (or a symlink there) in one step; on any failure the temporary file
// goes and the old file stays.
const finishPutRootScript = guestFilePath + `t=$1 p=$2 mode=$3 own=$4
if chown -h -- "$own" "$t" && chmod -- "$mode" "$t" && mv -f -T -- "$t" "$p"; then exit 0; fi
rm -f -- "$t"; exit 1`

// finishPutUserScript: "trust user". $1 the staging directory (root's,
// mode 700) holding the content in "f", $2 the file, $3 the mode, $4 a
// group or "" (the user's own), $5 and $6 the user's uid and gid, $7 the
// temporary name (in the file's directory). As the user: the content is
// copied from root's staging file (opened by root for the user's stdin)
// into a new file created exclusively, given its mode and group, and
// renamed over the file. The staging directory goes in every case.
const finishPutUserScript = guestFilePath + `s=$1 p=$2 mode=$3 grp=$4 uid=$5 gid=$6 t=$7
setpriv --reuid="$uid" --regid="$gid" --init-groups -- /bin/sh -c '
PATH=/usr/sbin:/usr/bin:/sbin:/bin
umask 077; set -C
if cat >"$1" && { [ -z "$4" ] || chgrp -- "$4" "$1"; } && chmod -- "$3" "$1" && mv -f -T -- "$1" "$2"; then exit 0; fi
rm -f -- "$1"; exit 1' qga-put "$t" "$p" "$mode" "$grp" <"$s/f"
st=$?
rm -rf -- "$s"
exit $st`

// removeFileScript: $1 the file. Removes it (a regular file or a symlink,
// never a directory) as whoever may change names in its directory (see
// trust); prints "absent", "dir", the refuse line, or "removed".
const removeFileScript = guestFilePath + trustWalk + `p=$1 d=$2
if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; exit 0; fi
if [ -d "$p" ] && [ ! -L "$p" ]; then echo dir; exit 0; fi
t=$(trust "$d") || exit 3
case $t in
"trust root") rm -f -- "$p" || exit 1 ;;
"trust user "*) set -- $t; setpriv --reuid="$3" --regid="$4" --init-groups -- rm -f -- "$p" || exit 1 ;;
*) echo "$t"; exit 0 ;;
esac
echo removed`
