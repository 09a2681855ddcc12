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

	// install runs putFileScript's install phase for p (mode, owner,
	// group as asked) from the file f through tmp, cleaning up c.
	install := func(t *testing.T, p, mode, own, grp, f, tmp, c string) (string, int) {
		t.Helper()
		return runFileScript(t, putFileScript, "install", p, filepath.Dir(p), "0", mode, own, grp, f, tmp, c)
	}
	plan := func(t *testing.T, p, mk, staging string) string {
		t.Helper()
		out, code := runFileScript(t, putFileScript, "plan", p, filepath.Dir(p), mk, "", "", "", staging)
		if code != 0 {
			t.Fatalf("plan: exit %d, %q", code, out)
		}
		return out
	}
	// stage is root's copy of the content, as the agent writes it.
	stage := func(t *testing.T, content string) string {
		t.Helper()
		f := filepath.Join(t.TempDir(), ".qga-put-stage")
		if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	gone := func(t *testing.T, p string) {
		t.Helper()
		if _, err := os.Lstat(p); err == nil {
			t.Fatalf("%q is still there", p)
		}
	}
	done := func(t *testing.T, out string, code int, want string) *FileInfo {
		t.Helper()
		first, rest, _ := strings.Cut(out, "\n")
		info, err := parseStat(rest)
		if code != 0 || first != want || err != nil {
			t.Fatalf("install: exit %d, %q (%v); want %q", code, out, err, want)
		}
		return info
	}

	t.Run("root's directory, one run: root writes, the rename replaces a symlink", func(t *testing.T) {
		d := fileScriptDir(t, 0, 0o755)
		p := filepath.Join(d, "f -n $(x)")
		if err := os.Symlink(victim, p); err != nil {
			t.Fatal(err)
		}
		f, tmp := stage(t, "new"), filepath.Join(d, ".qga-put-0123")
		out, code := install(t, p, "0640", "65534", "65534", f, tmp, f)
		if info := done(t, out, code, "done link -1"); info.UID != nobody || info.Mode != 0o640 || info.Size != 3 {
			t.Fatalf("stat after the write: %+v", info)
		}
		if b, _ := os.ReadFile(p); string(b) != "new" {
			t.Fatalf("file holds %q", b)
		}
		if uid, mode := fileOwner(t, p); uid != nobody || mode != 0o640 {
			t.Fatalf("file is uid %d mode %v; want 65534, -rw-r-----", uid, mode)
		}
		gone(t, tmp)
		gone(t, f)
		victimKept(t)

		// Nothing asked: the file keeps its mode and owner.
		f = stage(t, "again")
		out, code = install(t, p, "", "", "", f, tmp, f)
		if info := done(t, out, code, "done file -1"); info.UID != nobody || info.GID != nobody || info.Mode != 0o640 {
			t.Fatalf("the file did not keep its mode and owner: %+v", info)
		}
	})

	t.Run("root's directory, large: plan, then the agent writes in place", func(t *testing.T) {
		d := fileScriptDir(t, 0, 0o755)
		p := filepath.Join(d, "new\nfile")
		if out := plan(t, p, "0", "/nonexistent"); out != "root\n" {
			t.Fatalf("plan: %q", out)
		}
		tmp := filepath.Join(d, ".qga-put-4567")
		if err := os.WriteFile(tmp, []byte("large"), 0o600); err != nil {
			t.Fatal(err)
		}
		out, code := install(t, p, "", "", "", tmp, tmp, tmp)
		if info := done(t, out, code, "done absent -1"); info.UID != 0 || info.Mode != 0o644 || info.Size != 5 {
			t.Fatalf("a new file: %+v; want root's, mode 644", info)
		}
		gone(t, tmp)
	})

	t.Run("a user's directory: the user writes, root's files stay root's", func(t *testing.T) {
		d := fileScriptDir(t, nobody, 0o755)
		p := filepath.Join(d, "f")
		staging := filepath.Join(t.TempDir(), "staging")
		if out := plan(t, p, "0", staging); out != "user\n" {
			t.Fatalf("plan: %q", out)
		}
		if _, mode := fileOwner(t, staging); mode.Perm() != 0o700 {
			t.Fatalf("staging directory mode %v", mode)
		}
		if err := os.WriteFile(staging+"/f", []byte("mine"), 0o600); err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(d, ".qga-put-89ab")
		out, code := install(t, p, "0600", "", "", staging+"/f", tmp, staging)
		done(t, out, code, "done absent 65534")
		if b, _ := os.ReadFile(p); string(b) != "mine" {
			t.Fatalf("file holds %q", b)
		}
		if uid, mode := fileOwner(t, p); uid != nobody || mode != 0o600 {
			t.Fatalf("file is uid %d mode %v", uid, mode)
		}
		gone(t, staging)

		// Small, in one run, with the owner named: the user's own name.
		f := stage(t, "small")
		out, code = install(t, p, "", "nobody", "", f, tmp, f)
		done(t, out, code, "done file 65534")
		gone(t, f)

		// The user put a symlink where the temporary file goes: the
		// user's own exclusive create fails; nothing is followed.
		if err := os.Symlink(victim, tmp); err != nil {
			t.Fatal(err)
		}
		f = stage(t, "again")
		if out, code := install(t, p, "0644", "", "", f, tmp, f); code == 0 {
			t.Fatalf("install went on over a symlink in the temporary file's place: %q", out)
		}
		if b, _ := os.ReadFile(p); string(b) != "small" {
			t.Fatalf("a failed write changed the file: %q", b)
		}
		gone(t, f)
		victimKept(t)

		// Owners the user cannot give the file to, or would take it from.
		if out, _ := install(t, p, "", "root", "", stage(t, "x"), tmp, "/nonexistent"); out != "cannot-give 65534\n" {
			t.Fatalf("owner root in a user's directory: %q", out)
		}
		rootsFile := filepath.Join(d, "roots")
		if err := os.WriteFile(rootsFile, []byte("r"), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, _ := install(t, rootsFile, "", "", "", stage(t, "x"), tmp, "/nonexistent"); out != "foreign-file 0 65534\n" {
			t.Fatalf("root's file in a user's directory: %q", out)
		}
		if b, _ := os.ReadFile(rootsFile); string(b) != "r" {
			t.Fatalf("a refused write changed the file: %q", b)
		}
	})

	t.Run("refusals and what is in the way", func(t *testing.T) {
		// Directories others could change names in, each named by its
		// level above the file's directory.
		open := fileScriptDir(t, 0, 0o777)
		noAccount := fileScriptDir(t, 65533, 0o755)
		for _, sub := range []struct {
			dir string
			uid int
		}{{filepath.Join(open, "sub"), 0}, {filepath.Join(noAccount, "nobody's"), nobody}} {
			if err := os.Mkdir(sub.dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(sub.dir, sub.uid, sub.uid); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct{ dir, want string }{
			{open, "refuse writable-by-group-or-others 0\n"},
			{filepath.Join(open, "sub"), "refuse writable-by-group-or-others 1\n"},
			{noAccount, "refuse owner-has-no-account 0\n"},
			{filepath.Join(noAccount, "nobody's"), "refuse owned-by-two-users 1\n"},
		} {
			if out := plan(t, filepath.Join(c.dir, "f"), "0", "/x"); out != c.want {
				t.Fatalf("a file in %q: %q; want %q", c.dir, out, c.want)
			}
		}
		d := fileScriptDir(t, 0, 0o755)
		if out := plan(t, filepath.Join(d, "no/such/f"), "0", "/x"); out != "nodir\n" {
			t.Fatalf("missing directory: %q", out)
		}
		if out := plan(t, filepath.Join(d, "new/dirs/f"), "1", "/x"); out != "root\n" {
			t.Fatalf("created directories: %q", out)
		}
		if out := plan(t, filepath.Join(d, "new"), "0", "/x"); out != "dir\n" {
			t.Fatalf("a directory in the way: %q", out)
		}
		// Content staged where others could swap it (a world-writable
		// directory, a user's): not used, removed.
		for _, stageDir := range []string{open, fileScriptDir(t, nobody, 0o700)} {
			f := filepath.Join(stageDir, ".qga-put-stage")
			if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, code := install(t, filepath.Join(d, "f"), "", "", "", f, filepath.Join(d, ".qga-put-cdef"), f); code != 0 || out != "stage-unsafe\n" {
				t.Fatalf("a stage in %q: exit %d, %q", stageDir, code, out)
			}
			gone(t, f)
			gone(t, filepath.Join(d, "f"))
		}
	})

	t.Run("a sticky directory like /tmp: a name put in the temporary file's place is not followed", func(t *testing.T) {
		d := fileScriptDir(t, 0, os.ModeSticky|0o777)
		p, tmp := filepath.Join(d, "f"), filepath.Join(d, ".qga-put-sticky")
		if err := os.Symlink(victim, tmp); err != nil {
			t.Fatal(err)
		}
		f := stage(t, "sticky")
		out, code := install(t, p, "0600", "", "", f, tmp, f)
		if info := done(t, out, code, "done absent -1"); info.UID != 0 || info.Mode != 0o600 || info.Size != 6 {
			t.Fatalf("stat after the write: %+v", info)
		}
		gone(t, tmp)
		gone(t, f)
		victimKept(t)
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
			if out, code := runFileScript(t, removeFileScript, f, d); code != 0 || out != "removed\n" {
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
