package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// guest_copy end to end against the local fake guest: the real scripts of
// qgaclient on this machine.

// hostileName holds what a shell would read as code if it were spliced.
const hostileName = "it's $(touch pwned) `id`; a b\nc"

func copyTask(a *fakeAgent, options map[string]any) map[string]any {
	return socketTask(a, "guest_copy", options)
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestGuestCopyContent(t *testing.T) {
	a := newLocalGuest(t)
	dir := filepath.Join(t.TempDir(), hostileName)
	dest := filepath.Join(dir, hostileName+".conf")
	const secret = "token=s3cr3t-'$(x)`y`;\n"

	// Missing directory: refused without create_directories (the content,
	// small, was staged first: nothing of it stays).
	runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"content": secret, "dest": dest})).mustFail(t, "does not exist")
	left, _ := filepath.Glob("/tmp/.qga-put-*") // other tests' stages may be there for a moment
	for _, f := range left {
		if b, _ := os.ReadFile(f); string(b) == secret {
			t.Fatalf("staged content left after a refusal: %q", f)
		}
	}

	// Check mode: reported, nothing written.
	writes := a.callCount("guest-file-write")
	out := runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"content": secret, "dest": dest, "mode": "0600", "create_directories": true,
		"_ansible_check_mode": true, "_ansible_diff": true})).mustSucceed(t)
	if !out.changed() || a.callCount("guest-file-write") != writes {
		t.Fatalf("check mode: %s", out.Raw)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("check mode created the directory: %v", err)
	}

	out = runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"content": secret, "dest": dest, "mode": "0600", "create_directories": true,
		"_ansible_diff": true})).mustSucceed(t)
	if !out.changed() || mustRead(t, dest) != secret || out.Result["mode"] != "0600" || out.Result["checksum"] != sha256Hex([]byte(secret)) ||
		out.Result["owner"] != "root" || out.Result["size"] != float64(len(secret)) {
		t.Fatalf("create: %s", out.Raw)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if strings.Contains(out.Raw, "s3cr3t") || !strings.Contains(out.Raw, "no_log") {
		t.Fatalf("the content leaked, or the diff does not say why it is hidden: %s", out.Raw)
	}
	if _, err := os.Stat("pwned"); err == nil {
		t.Fatal("a name was run as code")
	}

	// Same content and mode (as an int, as YAML's 0600 arrives): no change, nothing written.
	writes = a.callCount("guest-file-write")
	out = runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"content": secret, "dest": dest, "mode": 0o600})).mustSucceed(t)
	if out.changed() || a.callCount("guest-file-write") != writes {
		t.Fatalf("second run: %s", out.Raw)
	}

	// Only the mode differs: changed, and said so.
	out = runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"content": secret, "dest": dest, "mode": "640", "owner": "0", "group": "root"})).mustSucceed(t)
	if !out.changed() || out.Result["mode"] != "0640" || !strings.Contains(out.msg(), "mode 0600 -> 0640") {
		t.Fatalf("mode change: %s", out.Raw)
	}

	// force=false leaves an existing file alone.
	out = runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"content": "other", "dest": dest, "force": false})).mustSucceed(t)
	if out.changed() || mustRead(t, dest) != secret {
		t.Fatalf("force=false: %s", out.Raw)
	}
}

func TestGuestCopySrcBackupDiff(t *testing.T) {
	a := newLocalGuest(t)
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), hostileName)
	if err := os.WriteFile(src, []byte("line 1\nline 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(dir, "app.conf")
	if err := os.WriteFile(dest, []byte("line 1\nold\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"src": src, "dest": dest, "backup": true, "_ansible_diff": true})).mustSucceed(t)
	backup, _ := out.Result["backup_file"].(string)
	if !out.changed() || mustRead(t, dest) != "line 1\nline 2\n" || backup == "" || mustRead(t, backup) != "line 1\nold\n" {
		t.Fatalf("backup: %s", out.Raw)
	}
	if !strings.HasPrefix(backup, dest+".") || !strings.HasSuffix(backup, "~") {
		t.Fatalf("backup name %q", backup)
	}
	diffs, _ := out.Result["diff"].([]any)
	if len(diffs) != 1 {
		t.Fatalf("diff: %s", out.Raw)
	}
	d := diffs[0].(map[string]any)
	if d["before"] != "line 1\nold\n" || d["after"] != "line 1\nline 2\n" {
		t.Fatalf("diff: %v", d)
	}
	if fi, _ := os.Stat(dest); fi.Mode().Perm() != 0o644 {
		t.Fatalf("the existing file's mode was not kept: %v", fi.Mode())
	}

	// dest a directory: the file goes in it under src's name.
	out = runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"src": src, "dest": dir})).mustSucceed(t)
	if !out.changed() || out.Result["dest"] != filepath.Join(dir, hostileName) || mustRead(t, filepath.Join(dir, hostileName)) != "line 1\nline 2\n" {
		t.Fatalf("into a directory: %s", out.Raw)
	}

	// Binary content: no text diff, said so.
	bin := filepath.Join(t.TempDir(), "bin")
	if err := os.WriteFile(bin, []byte{0, 1, 2, 0xff}, 0o600); err != nil {
		t.Fatal(err)
	}
	out = runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"src": bin, "dest": dest, "_ansible_diff": true, "_ansible_check_mode": true})).mustSucceed(t)
	if !strings.Contains(out.Raw, `"src_binary"`) || mustRead(t, dest) != "line 1\nline 2\n" {
		t.Fatalf("binary diff: %s", out.Raw)
	}
}

func TestGuestCopyRefusals(t *testing.T) {
	a := newFakeAgent(t) // refused before the guest is reached
	for _, tc := range []struct {
		options map[string]any
		want    string
	}{
		{map[string]any{"content": "qga-content", "dest": "etc/motd"}, "not absolute"},
		{map[string]any{"content": "qga-content", "dest": "/etc/../motd"}, "not clean"},
		{map[string]any{"content": "qga-content", "dest": "/etc/"}, "ends with a slash"},
		{map[string]any{"content": "qga-content", "dest": "/etc/motd", "mode": "u=rw"}, "symbolic modes"},
		{map[string]any{"content": "qga-content", "dest": "/etc/motd", "mode": "0999"}, "octal digits"},
		{map[string]any{"content": "qga-content", "dest": "/etc/motd", "mode": 0o10000}, "not a file mode"},
		{map[string]any{"content": "qga-content", "dest": "/etc/motd", "owner": "-R"}, `owner "-R"`},
		{map[string]any{"content": "qga-content", "dest": "/etc/motd", "group": "a;b"}, `group "a;b"`},
		{map[string]any{"src": "/nonexistent/qga", "dest": "/etc/motd"}, "machine the module runs on"},
		{map[string]any{"src": t.TempDir(), "dest": "/etc/motd"}, "is a directory"},
		{map[string]any{"content": "qga-content", "src": "/a", "dest": "/etc/motd"}, "mutually exclusive"},
		{map[string]any{"dest": "/etc/motd"}, "one of the following is required: src, content"},
	} {
		runTask(t, "AnsiballZ_guest_copy", copyTask(a, tc.options)).mustFail(t, tc.want)
	}
	if a.callCount("guest-exec") != 0 {
		t.Fatal("the guest was asked to run something")
	}
}

func TestParseFileMode(t *testing.T) {
	for in, want := range map[any]uint32{"0644": 0o644, "644": 0o644, "01777": 0o1777, "0o755": 0o755, 420: 0o644} {
		m, err := parseFileMode(in)
		if err != nil || *m != want {
			t.Errorf("%v: %v, %v", in, m, err)
		}
	}
	if m, err := parseFileMode(nil); m != nil || err != nil {
		t.Errorf("nil: %v, %v", m, err)
	}
}
