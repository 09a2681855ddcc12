package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// guest_fetch end to end against the local fake guest.

func fetchTask(a *fakeAgent, options map[string]any) map[string]any {
	return socketTask(a, "guest_fetch", options)
}

func TestGuestFetch(t *testing.T) {
	a := newLocalGuest(t)
	src := filepath.Join(t.TempDir(), hostileName)
	content := "join token: 'x' $(y) `z`;\n"
	if err := os.WriteFile(src, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()

	// Not flat: dest/<guest>/<src path>, the guest named by its socket here.
	out := runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": src, "dest": local, "_ansible_check_mode": true})).mustSucceed(t)
	want := filepath.Join(local, "qga.sock", src)
	if !out.changed() || out.Result["dest"] != want {
		t.Fatalf("check mode: %s", out.Raw)
	}
	if _, err := os.Stat(want); !os.IsNotExist(err) {
		t.Fatal("check mode wrote the file")
	}
	out = runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": src, "dest": local})).mustSucceed(t)
	if !out.changed() || mustRead(t, want) != content || out.Result["checksum"] != sha256Hex([]byte(content)) || out.Result["remote_checksum"] != out.Result["checksum"] {
		t.Fatalf("fetch: %s", out.Raw)
	}
	if fi, _ := os.Stat(want); fi.Mode().Perm() != newLocalFileMode {
		t.Fatalf("new local file mode %v", fi.Mode())
	}
	out = runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": src, "dest": local})).mustSucceed(t)
	if out.changed() {
		t.Fatalf("second run: %s", out.Raw)
	}

	// Flat, into a directory given with a slash; then through a link in the guest.
	out = runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": src, "dest": local + "/", "flat": true})).mustSucceed(t)
	if out.Result["dest"] != filepath.Join(local, hostileName) || mustRead(t, filepath.Join(local, hostileName)) != content {
		t.Fatalf("flat: %s", out.Raw)
	}
	link := filepath.Join(filepath.Dir(src), "link")
	if err := os.Symlink(src, link); err != nil {
		t.Fatal(err)
	}
	flatDest := filepath.Join(local, "via-link")
	out = runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": link, "dest": flatDest, "flat": true})).mustSucceed(t)
	if real, _ := filepath.EvalSymlinks(src); out.Result["src_resolved"] != real || mustRead(t, flatDest) != content {
		t.Fatalf("through a link: %s", out.Raw)
	}

	// A symlink at dest is neither followed nor replaced.
	victim := filepath.Join(t.TempDir(), "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	linkDest := filepath.Join(local, "link-dest")
	if err := os.Symlink(victim, linkDest); err != nil {
		t.Fatal(err)
	}
	runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": src, "dest": linkDest, "flat": true})).mustFail(t, "is a symbolic link")
	if mustRead(t, victim) != "keep" {
		t.Fatal("the link's target changed")
	}

	// return_content: base64 in the result, nothing written.
	out = runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": src, "return_content": true})).mustSucceed(t)
	got, _ := base64.StdEncoding.DecodeString(out.Result["content"].(string))
	if out.changed() || string(got) != content || out.Result["encoding"] != "base64" {
		t.Fatalf("return_content: %s", out.Raw)
	}

	// Missing files.
	missing := filepath.Join(filepath.Dir(src), "missing")
	runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": missing, "dest": local})).mustFail(t, "no such file")
	out = runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": missing, "dest": local, "fail_on_missing": false})).mustSucceed(t)
	if out.changed() || !strings.Contains(out.msg(), "does not exist") {
		t.Fatalf("fail_on_missing=false: %s", out.Raw)
	}
	// Not a regular file: never read (a FIFO would hang the agent).
	runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, map[string]any{"src": filepath.Dir(src), "dest": local})).mustFail(t, "regular files only")
}

func TestGuestFetchRefusals(t *testing.T) {
	a := newFakeAgent(t)
	for _, tc := range []struct {
		options map[string]any
		want    string
	}{
		{map[string]any{"src": "etc/hostname", "dest": "/tmp/x"}, "not absolute"},
		{map[string]any{"src": "/etc/hostname"}, "dest is required"},
		{map[string]any{"src": "/etc/hostname", "dest": "/tmp/x", "return_content": true}, "not both"},
	} {
		runTask(t, "AnsiballZ_guest_fetch", fetchTask(a, tc.options)).mustFail(t, tc.want)
	}
	if a.callCount("guest-exec") != 0 {
		t.Fatal("the guest was asked to run something")
	}
	if _, err := fetchDestPath(fetchArgs{Src: "/a", Dest: "/d", connectionArgs: connectionArgs{Domain: ".."}}); err == nil {
		t.Fatal(`domain ".." accepted as a directory name`)
	}
}
