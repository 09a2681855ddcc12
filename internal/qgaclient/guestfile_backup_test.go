package qgaclient

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// The backup and resolve scripts on this machine's /bin/sh, as root, with
// hostile names.

func TestBackupFileScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as the agent runs the scripts")
	}
	d := fileScriptDir(t, 0, 0o755)
	p := filepath.Join(d, "it's $(touch x) `y`; z\nw")
	if err := os.WriteFile(p, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	b := p + ".2026-01-01@00:00:00~"
	if out, code := runFileScript(t, backupFileScript, p, d, b); code != 0 || out != "linked\n" {
		t.Fatalf("backup: %q, exit %d", out, code)
	}
	if got, _ := os.ReadFile(b); string(got) != "old" {
		t.Fatalf("backup holds %q", got)
	}
	if _, mode := fileOwner(t, b); mode.Perm() != 0o640 {
		t.Fatalf("backup mode %v", mode)
	}
	// An existing name is never replaced, a symlink there never followed.
	victim := filepath.Join(d, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	b2 := p + ".other~"
	if err := os.Symlink(victim, b2); err != nil {
		t.Fatal(err)
	}
	if _, code := runFileScript(t, backupFileScript, p, d, b2); code == 0 {
		t.Fatal("backup over an existing symlink succeeded")
	}
	if got, _ := os.ReadFile(victim); string(got) != "keep" {
		t.Fatalf("the symlink's target changed: %q", got)
	}
	// Not a regular file: nothing to keep.
	if out, _ := runFileScript(t, backupFileScript, b2, d, p+".3~"); out != "notfile\n" {
		t.Fatalf("symlink: %q", out)
	}
	if out, _ := runFileScript(t, backupFileScript, filepath.Join(d, "absent"), d, p+".4~"); out != "notfile\n" {
		t.Fatalf("absent: %q", out)
	}
	// A directory others can write is refused.
	open := fileScriptDir(t, 0, 0o777)
	q := filepath.Join(open, "f")
	if err := os.WriteFile(q, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, _ := runFileScript(t, backupFileScript, q, open, q+"~"); out != "refuse writable-by-group-or-others 0\n" {
		t.Fatalf("open directory: %q", out)
	}
}

func TestResolveFileScript(t *testing.T) {
	d := t.TempDir()
	target := filepath.Join(d, "a 'b' $(c)\nd")
	if err := os.WriteFile(target, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(d, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	out, code := runFileScript(t, resolveFileScript, link)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	got, err := parseResolved(link, out)
	if real, _ := filepath.EvalSymlinks(target); err != nil || got != real {
		t.Fatalf("resolved %q, %v; want %q", got, err, real)
	}
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	out, _ = runFileScript(t, resolveFileScript, link)
	if _, err := parseResolved(link, out); !errors.Is(err, ErrNoSuchFile) {
		t.Fatalf("broken link: %v", err)
	}
	for _, bad := range []string{"", "path relative\x00", "path /a", "garbage"} {
		if _, err := parseResolved("/x", bad); err == nil || errors.Is(err, ErrNoSuchFile) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
