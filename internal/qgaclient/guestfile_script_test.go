package qgaclient

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The file scripts on this machine's /bin/sh, as root (as the agent runs
// them): who they let write where, and that a name another user put in the
// way is never followed.

func runFileScript(t *testing.T, script string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "qga-file"}, args...)...)
	out, err := cmd.Output()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		t.Logf("stderr: %s", ee.Stderr)
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// fileScriptDir is a fresh directory for one case, owned by uid with mode.
func fileScriptDir(t *testing.T, uid int, mode os.FileMode) string {
	t.Helper()
	base := t.TempDir() // root's: trusted; open to others' traversal, as homes are
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	d := filepath.Join(base, "it's a $(dir) `x`;\nnext")
	if err := os.Mkdir(d, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(d, uid, uid); err != nil {
		t.Fatal(err)
	}
	return d
}

func fileOwner(t *testing.T, p string) (uid int, mode os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return int(fi.Sys().(*syscall.Stat_t).Uid), fi.Mode()
}

func TestFileScripts(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("runs the scripts as root, as the agent does")
	}
	const nobody = 65534
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	victimKept := func(t *testing.T) {
		t.Helper()
		if b, _ := os.ReadFile(victim); string(b) != "keep" {
			t.Fatalf("the victim file now holds %q", b)
		}
		if uid, mode := fileOwner(t, victim); uid != 0 || mode.Perm() != 0o600 {
			t.Fatalf("the victim file is now uid %d mode %v", uid, mode)
		}
	}

	t.Run("root's directory: root writes, the rename replaces a symlink", func(t *testing.T) {
		d := fileScriptDir(t, 0, 0o755)
		p := filepath.Join(d, "f -n $(x)")
		if err := os.Symlink(victim, p); err != nil {
			t.Fatal(err)
		}
		out, code := runFileScript(t, preparePutScript, p, d, "0", filepath.Join(d, "unused"))
		if code != 0 || out != "trust root\nlink\n" {
			t.Fatalf("prepare: exit %d, %q", code, out)
		}
		tmp := filepath.Join(d, ".qga-put-0123")
		if err := os.WriteFile(tmp, []byte("new"), 0o600); err != nil { // what the agent does
			t.Fatal(err)
		}
		if out, code := runFileScript(t, finishPutRootScript, tmp, p, "0640", "65534:65534"); code != 0 {
			t.Fatalf("finish: exit %d, %q", code, out)
		}
		if b, _ := os.ReadFile(p); string(b) != "new" {
			t.Fatalf("file holds %q", b)
		}
		if uid, mode := fileOwner(t, p); uid != nobody || mode != 0o640 {
			t.Fatalf("file is uid %d mode %v; want 65534, -rw-r-----", uid, mode)
		}
		if _, err := os.Lstat(tmp); err == nil {
			t.Fatal("the temporary file is still there")
		}
		victimKept(t)
	})

	t.Run("a user's directory: the user writes, root's files stay root's", func(t *testing.T) {
		d := fileScriptDir(t, nobody, 0o755)
		p := filepath.Join(d, "f")
		staging := filepath.Join(t.TempDir(), "staging")
		out, code := runFileScript(t, preparePutScript, p, d, "0", staging)
		if code != 0 || out != "trust user 65534 65534\nabsent\nstaged\n" {
			t.Fatalf("prepare: exit %d, %q", code, out)
		}
		if _, mode := fileOwner(t, staging); mode.Perm() != 0o700 {
			t.Fatalf("staging directory mode %v", mode)
		}
		if err := os.WriteFile(staging+"/f", []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(d, ".qga-put-4567")
		if out, code := runFileScript(t, finishPutUserScript, staging, p, "0600", "", "65534", "65534", tmp); code != 0 {
			t.Fatalf("finish: exit %d, %q", code, out)
		}
		if b, _ := os.ReadFile(p); string(b) != "mine" {
			t.Fatalf("file holds %q", b)
		}
		if uid, mode := fileOwner(t, p); uid != nobody || mode != 0o600 {
			t.Fatalf("file is uid %d mode %v", uid, mode)
		}
		if _, err := os.Lstat(staging); err == nil {
			t.Fatal("the staging directory is still there")
		}

		// The user put a symlink where the temporary file goes: the
		// user's own exclusive create fails; nothing is followed.
		if err := os.MkdirAll(staging, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(staging+"/f", []byte("again"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(victim, tmp); err != nil {
			t.Fatal(err)
		}
		if _, code := runFileScript(t, finishPutUserScript, staging, p, "0644", "", "65534", "65534", tmp); code == 0 {
			t.Fatal("finish went on over a symlink in the temporary file's place")
		}
		if b, _ := os.ReadFile(p); string(b) != "mine" {
			t.Fatalf("a failed write changed the file: %q", b)
		}
		victimKept(t)
	})

	t.Run("refusals and what is in the way", func(t *testing.T) {
		open := fileScriptDir(t, 0, 0o777)
		if out, _ := runFileScript(t, preparePutScript, filepath.Join(open, "f"), open, "0", "/nonexistent"); out != "refuse writable-by-group-or-others 0\n" {
			t.Fatalf("world-writable directory: %q", out)
		}
		sub := filepath.Join(open, "sub")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, _ := runFileScript(t, preparePutScript, filepath.Join(sub, "f"), sub, "0", "/nonexistent"); out != "refuse writable-by-group-or-others 1\n" {
			t.Fatalf("under a world-writable directory: %q", out)
		}
		d := fileScriptDir(t, 0, 0o755)
		if out, _ := runFileScript(t, preparePutScript, filepath.Join(d, "no/such/f"), filepath.Join(d, "no/such"), "0", "/x"); out != "nodir\n" {
			t.Fatalf("missing directory: %q", out)
		}
		if out, _ := runFileScript(t, preparePutScript, filepath.Join(d, "new/dirs/f"), filepath.Join(d, "new/dirs"), "1", "/x"); out != "trust root\nabsent\n" {
			t.Fatalf("created directories: %q", out)
		}
		if out, _ := runFileScript(t, preparePutScript, filepath.Join(d, "new"), d, "0", "/x"); out != "trust root\ndir\n" {
			t.Fatalf("a directory in the way: %q", out)
		}
	})

	t.Run("stat and remove", func(t *testing.T) {
		d := fileScriptDir(t, 0, 0o755)
		p := filepath.Join(d, "f\nwith newline")
		if err := os.WriteFile(p, []byte("content"), 0o4750); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Chmod(p, 0o4750); err != nil {
			t.Fatal(err)
		}
		out, code := runFileScript(t, statFileScript, p, "hash")
		info, err := parseStat(out)
		sum := sha256.Sum256([]byte("content"))
		if code != 0 || err != nil || !info.Regular() || info.Size != 7 || info.Mode != 0o4750 || info.Owner != "root" || info.SHA256 != hex.EncodeToString(sum[:]) {
			t.Fatalf("stat: exit %d, %+v, %v (%q)", code, info, err, out)
		}
		link := filepath.Join(d, "link")
		if err := os.Symlink(victim, link); err != nil {
			t.Fatal(err)
		}
		if out, _ := runFileScript(t, statFileScript, link, "hash"); out != "link\n" {
			t.Fatalf("stat of a symlink: %q", out)
		}
		for _, f := range []string{p, link} {
			if out, code := runFileScript(t, removeFileScript, f, d); code != 0 || out != "trust root\nremoved\n" && out != "removed\n" {
				t.Fatalf("remove %q: exit %d, %q", f, code, out)
			}
		}
		if out, _ := runFileScript(t, removeFileScript, p, d); out != "absent\n" {
			t.Fatalf("remove again: %q", out)
		}
		if out, _ := runFileScript(t, removeFileScript, d, filepath.Dir(d)); out != "dir\n" {
			t.Fatalf("remove a directory: %q", out)
		}
		if out, _ := runFileScript(t, statFileScript, p, ""); strings.TrimSpace(out) != "absent" {
			t.Fatalf("stat of nothing: %q", out)
		}
		victimKept(t)
	})
}
