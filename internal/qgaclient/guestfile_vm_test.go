package qgaclient_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// guestSh runs a shell command in the guest for setup and checks.
func guestSh(t *testing.T, c *qgaclient.Client, script string, args ...string) string {
	t.Helper()
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: append([]string{"-c", script, "sh"}, args...)})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("guest: %s: %v, %+v", script, err, res)
	}
	return string(res.Stdout)
}

func modePtr(m uint32) *uint32 { return &m }

// TestRealVMPutFile: whole files in and out, on both transports: atomic
// replace, mode and owner kept or set, the guest's own sha256, who writes
// in a user's directory, and the refusals.
func TestRealVMPutFile(t *testing.T) {
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			c := openReady(t, tc.target)
			dir := "/opt/qga-put-" + tc.name
			guestSh(t, c, `rm -rf -- "$1" && mkdir -m 755 -- "$1" && (id alice >/dev/null 2>&1 || useradd -m -s /bin/sh alice)`, dir)
			t.Cleanup(func() { guestSh(t, c, `rm -rf -- "$1"`, dir) })

			// A hostile name, a binary content larger than one chunk.
			p := dir + "/it's $(touch qga-pwned) `id`; a\nb"
			content := make([]byte, 3<<20+17)
			_, _ = rand.Read(content)
			sum := sha256.Sum256(content)
			res, err := c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: p, Content: content, Mode: modePtr(0o640), Owner: "alice", HashAfter: true})
			if err != nil || !res.Created || res.AsUser != -1 || res.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("put: %+v, %v", res, err)
			}
			if i := res.Info; i == nil || i.Size != int64(len(content)) || i.Mode != 0o640 || i.Owner != "alice" || i.SHA256 != res.SHA256 {
				t.Fatalf("what the write read back: %+v", i)
			}
			info, err := c.StatFile(ctx(t), p, true)
			if err != nil || !info.Regular() || info.Size != int64(len(content)) || info.Mode != 0o640 || info.Owner != "alice" || info.SHA256 != res.SHA256 {
				t.Fatalf("stat: %+v, %v", info, err)
			}
			if out := guestSh(t, c, `test -e /qga-pwned && echo pwned; test -f "$2" && ls -Aq -- "$1" | wc -l`, dir, p); strings.TrimSpace(out) != "1" {
				t.Fatalf("the guest has %q: a name was run, or a temporary file was left", out)
			}
			// Again without mode or owner: both kept, content replaced.
			if _, err := c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: p, Content: []byte("small\n")}); err != nil {
				t.Fatal(err)
			}
			info, err = c.StatFile(ctx(t), p, true)
			if err != nil || info.Size != 6 || info.Mode != 0o640 || info.Owner != "alice" {
				t.Fatalf("after a second put: %+v, %v", info, err)
			}
			if got, err := c.ReadFile(ctx(t), p); err != nil || !bytes.Equal(got, []byte("small\n")) {
				t.Fatalf("read back %q, %v", got, err)
			}
			// A streamed source that is not what was hashed (a host file
			// changed meanwhile) is refused before the rename.
			smallSum := sha256.Sum256([]byte("small\n"))
			_, err = c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: p, Source: strings.NewReader("changed meanwhile\n"), ExpectSHA256: hex.EncodeToString(smallSum[:])})
			if !errors.Is(err, qgaclient.ErrContentChanged) || !strings.Contains(err.Error(), "left as it was") {
				t.Fatalf("a changed source: %v", err)
			}
			if got, err := c.ReadFile(ctx(t), p); err != nil || !bytes.Equal(got, []byte("small\n")) {
				t.Fatalf("after a refused source the file holds %q, %v", got, err)
			}
			if out := guestSh(t, c, `ls -Aq -- "$1" | wc -l`, dir); strings.TrimSpace(out) != "1" {
				t.Fatalf("a refused source left %s names in %s", strings.TrimSpace(out), dir)
			}

			// Missing directories: refused, or created on request.
			deep := dir + "/a/b/c"
			if _, err := c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: deep, Content: []byte("x")}); err == nil || !strings.Contains(err.Error(), "does not exist") {
				t.Fatalf("missing directory: %v", err)
			}
			if _, err := c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: deep, Content: []byte("x"), CreateDirectories: true}); err != nil {
				t.Fatal(err)
			}
			if info, err := c.StatFile(ctx(t), deep, false); err != nil || info.Mode != qgaclient.DefaultFileMode || info.Owner != "root" {
				t.Fatalf("new file in new directories: %+v, %v", info, err)
			}
			if _, err := c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: dir + "/a", Content: []byte("x")}); err == nil || !strings.Contains(err.Error(), "is a directory") {
				t.Fatalf("a directory in the way: %v", err)
			}

			// A directory everyone can write: refused, naming it.
			open := dir + "/open"
			guestSh(t, c, `mkdir -m 777 -- "$1" && chmod 777 -- "$1"`, open)
			_, err = c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: open + "/f", Content: []byte("x")})
			if !errors.Is(err, qgaclient.ErrUnsafeDirectory) || !strings.Contains(err.Error(), fmt.Sprintf("%q", open)) {
				t.Fatalf("world-writable directory: %v", err)
			}

			// A user's own directory: written as that user.
			home := strings.TrimSpace(guestSh(t, c, `getent passwd alice | cut -d: -f6`))
			mine := home + "/qga-put-" + tc.name
			t.Cleanup(func() { guestSh(t, c, `rm -f -- "$1"`, mine) })
			res, err = c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: mine, Content: []byte("alice's\n")})
			if err != nil || res.AsUser <= 0 {
				t.Fatalf("put in alice's home: %+v, %v", res, err)
			}
			if info, err := c.StatFile(ctx(t), mine, false); err != nil || info.Owner != "alice" || info.Mode != qgaclient.DefaultFileMode {
				t.Fatalf("file in alice's home: %+v, %v", info, err)
			}
			if _, err := c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: mine, Content: []byte("x"), Owner: "root"}); err == nil || !strings.Contains(err.Error(), "cannot give the file") {
				t.Fatalf("root owner in alice's home: %v", err)
			}
			// Large content (not staged in /tmp first: planned, then
			// written in root's own staging directory) in alice's home.
			large := make([]byte, 4<<20+1)
			_, _ = rand.Read(large)
			res, err = c.PutFile(ctx(t), qgaclient.PutFileRequest{Path: mine, Source: bytes.NewReader(large), HashAfter: true})
			if err != nil {
				t.Fatalf("large put in alice's home: %v", err)
			}
			if res.AsUser <= 0 || res.Created || res.Info == nil || res.Info.Owner != "alice" || res.Info.SHA256 != res.SHA256 || res.Size != int64(len(large)) {
				t.Fatalf("large put in alice's home: %+v (%+v)", res, res.Info)
			}

			// Remove, then remove again.
			for i, want := range []bool{true, false} {
				removed, err := c.RemoveFile(ctx(t), p)
				if err != nil || removed != want {
					t.Fatalf("remove %d: %v, %v", i+1, removed, err)
				}
			}
			if info, err := c.StatFile(ctx(t), p, true); err != nil || info.Exists {
				t.Fatalf("after remove: %+v, %v", info, err)
			}
		})
	}
}
