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
	for _, rmWorks := range []bool{true, false} {
		a := qgatest.New(t)
		var removed []string
		a.SetExec(func(e qgatest.Exec) qgatest.ExecResult {
			switch {
			case len(e.Args) < 2:
			case e.Args[1] == preparePutScript:
				return qgatest.ExecResult{Stdout: "trust root\nabsent\n"}
			case e.Args[1] == finishPutRootScript:
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
		_, err = c.PutFile(ctxT(t, 10*time.Second), PutFileRequest{Path: "/etc/app.conf", Content: []byte("x"), Owner: "nosuchuser"})
		c.Close()
		if err == nil || !strings.Contains(err.Error(), "nosuchuser") || len(removed) != 1 || !strings.HasPrefix(removed[0], "/etc/.qga-put-") {
			t.Fatalf("rm works=%v: err %v, removed %q; want the chown failure and the temporary file removed", rmWorks, err, removed)
		}
		if says := strings.Contains(err.Error(), removed[0]+`" stays in the guest`); says == rmWorks {
			t.Errorf("rm works=%v: the error says the temporary file stays: %v (want %v)", rmWorks, says, !rmWorks)
		}
		t.Log(err)
	}
}
