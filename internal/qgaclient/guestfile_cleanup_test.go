package qgaclient

import (
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// A failed write removes its temporary file; when that fails too, the
// error says which file stays in the guest, beside why the write failed.
func TestPutFileSaysWhatStaysWhenCleanupFails(t *testing.T) {
	for _, tc := range []struct {
		rmWorks bool
		size    int
		left    string // the temporary file's start
	}{
		{true, 1, "/tmp/.qga-put-"}, // small: staged in /tmp, one script run
		{false, 1, "/tmp/.qga-put-"},
		{true, smallPutLimit + 1, "/etc/.qga-put-"}, // large: written in place
		{false, smallPutLimit + 1, "/etc/.qga-put-"},
	} {
		rmWorks := tc.rmWorks
		a := qgatest.New(t)
		var removed []string
		a.SetExec(func(e qgatest.Exec) qgatest.ExecResult {
			switch {
			case len(e.Args) < 2:
			case e.Args[1] == putFileScript && e.Args[3] == "plan":
				return qgatest.ExecResult{Stdout: "root\n"}
			case e.Args[1] == putFileScript && e.Args[3] == "install":
				return qgatest.ExecResult{ExitCode: 1, Stderr: "chown: invalid user: 'nosuchuser'\n"}
			case strings.HasSuffix(e.Args[1], `rm -rf -- "$1"`):
				removed = append(removed, e.Args[len(e.Args)-1])
				if !rmWorks {
					return qgatest.ExecResult{ExitCode: 1, Stderr: "rm: cannot remove: Read-only file system\n"}
				}
			}
			return qgatest.ExecResult{}
		})
		c, err := Open(Target{AgentSocket: a.Socket()}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.PutFile(ctxT(t, 10*time.Second), PutFileRequest{Path: "/etc/app.conf", Content: make([]byte, tc.size), Owner: "nosuchuser"})
		c.Close()
		if err == nil || !strings.Contains(err.Error(), "nosuchuser") || len(removed) != 1 || !strings.HasPrefix(removed[0], tc.left) {
			t.Fatalf("rm works=%v: err %v, removed %q; want the chown failure and the temporary file removed", rmWorks, err, removed)
		}
		if says := strings.Contains(err.Error(), removed[0]+`" stays in the guest`); says == rmWorks {
			t.Errorf("rm works=%v: the error says the temporary file stays: %v (want %v)", rmWorks, says, !rmWorks)
		}
		t.Log(err)
	}
}

// A guest that blocks guest-exec (RHEL's default agent) but allows file
// writes: PutFile fails before it writes anything, as staged content
// could be neither put in place nor removed there.
func TestPutFileWithoutExecWritesNothing(t *testing.T) {
	a := qgatest.New(t)
	a.Disable("guest-exec")
	c, err := Open(Target{AgentSocket: a.Socket()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.PutFile(ctxT(t, 10*time.Second), PutFileRequest{Path: "/etc/app.conf", Content: []byte("secret")})
	if err == nil || !strings.Contains(err.Error(), "guest-exec is needed") || !strings.Contains(err.Error(), "/etc/app.conf") {
		t.Fatalf("err %v; want one naming the file and guest-exec", err)
	}
	if n := a.Calls("guest-file-open"); n != 0 {
		t.Fatalf("%d files opened in the guest", n)
	}
}
