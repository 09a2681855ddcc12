package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"
)

// Two helpers of the file modules (guest_copy, guest_fetch) around
// PutFile and StatFile: keeping the old file before it is replaced, and
// finding the file a symbolic link leads to. Scripts in the style of
// guestfile_scripts.go: every value an argument, "--" before names, a
// fixed PATH.

// backupFileScript: $1 the file, $2 its directory, $3 the backup's name.
// Makes the backup a second hard link to the file, so it is the old file
// itself (content, mode, owner, times) at no copying cost: PutFile then
// renames a new file over $1 and the backup keeps the old one. ln creates
// the name exclusively (an existing name, a symlink too, makes it fail)
// and -P links a symlink itself, never its target. Done as whoever may
// change names in the directory (see trust). Prints "notfile" when $1 is
// not a regular file, the refuse line, or "linked".
const backupFileScript = guestFilePath + trustWalk + `p=$1 d=$2 b=$3
if [ -L "$p" ] || [ ! -f "$p" ]; then echo notfile; exit 0; fi
trust "$d" || exit 3
case $tr in
"trust root") ln -P -- "$p" "$b" || exit 1 ;;
"trust user "*) set -- $tr; setpriv --reuid="$3" --regid="$4" --init-groups -- ln -P -- "$p" "$b" || exit 1 ;;
*) echo "$tr"; exit 0 ;;
esac
echo linked`

// BackupFile keeps the regular file at p under the name backup (in the
// same directory), as a hard link to it: after PutFile replaces p, backup
// is the old file, unchanged. An existing backup name is an error, never
// replaced.
func (c *Client) BackupFile(ctx context.Context, p, backup string) error {
	for _, q := range []string{p, backup} {
		if err := checkGuestPath(q); err != nil {
			return newError(c.t.Target(), "guest-exec", nil, err)
		}
	}
	if path.Dir(backup) != path.Dir(p) {
		return newError(c.t.Target(), "guest-exec", nil, fmt.Errorf("backup %q of %q is not in the same directory", backup, p))
	}
	out, err := c.runScript(ctx, "keeping a backup of", p, backupFileScript, p, path.Dir(p), backup)
	if err != nil {
		return err
	}
	f := strings.Fields(out)
	if err := refusedLine(f, path.Dir(p)); err != nil {
		return newError(c.t.Target(), "guest-exec", nil, err)
	}
	switch {
	case len(f) == 1 && f[0] == "linked":
		return nil
	case len(f) == 1 && f[0] == "notfile":
		return newError(c.t.Target(), "guest-exec", nil, fmt.Errorf("%q is not a regular file: nothing to back up", p))
	}
	return newError(c.t.Target(), "guest-exec", ErrAgentFailed, fmt.Errorf("keeping a backup of %q: unexpected answer %q", p, out))
}

// resolveFileScript: $1 a path. Prints "absent" when it or a link on the
// way leads nowhere, else "path " and the canonical path (every symbolic
// link followed), ended by a NUL: a name may hold newlines.
const resolveFileScript = guestFilePath + `readlink -e -z -- "$1" >/dev/null 2>&1 || { echo absent; exit 0; }
printf 'path '; readlink -e -z -- "$1"`

// ErrNoSuchFile: the path, or the target of a link on it, does not exist.
var ErrNoSuchFile = errors.New("no such file")

// ResolveFile returns the canonical path of p in the guest: every symbolic
// link followed, as reading it would. A path that leads nowhere is
// ErrNoSuchFile.
func (c *Client) ResolveFile(ctx context.Context, p string) (string, error) {
	if err := checkGuestPath(p); err != nil {
		return "", newError(c.t.Target(), "guest-exec", nil, err)
	}
	out, err := c.runScript(ctx, "resolving", p, resolveFileScript, p)
	if err != nil {
		return "", err
	}
	r, err := parseResolved(p, out)
	if err != nil {
		return "", newError(c.t.Target(), "guest-exec", nil, err)
	}
	return r, nil
}

func parseResolved(p, out string) (string, error) {
	if strings.TrimSpace(out) == "absent" {
		return "", fmt.Errorf("%q: %w in the guest", p, ErrNoSuchFile)
	}
	r, ok := strings.CutPrefix(out, "path ")
	r, ok2 := strings.CutSuffix(r, "\x00")
	if !ok || !ok2 || checkGuestPath(r) != nil && r != "/" {
		return "", fmt.Errorf("resolving %q: unexpected answer %q", p, out)
	}
	return r, nil
}
