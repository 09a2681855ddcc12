package qgaclient

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// TestRealSocketReleasedAfterTimeout: on the test bed's direct agent socket
// (QEMU's chardev, one client at a time), a command that times out must not
// keep the socket: an independent client is served within the idle close
// plus a second. Another process using the test bed's socket at the same
// moment would delay that client too.
func TestRealSocketReleasedAfterTimeout(t *testing.T) {
	env := testbed.Require(t)
	c, err := Open(Target{AgentSocket: env.Socket}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForAgent(context.Background(), 3*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	const user = "qgaexecrace"
	res, err := c.Exec(ctxT(t, time.Minute), ExecRequest{Path: "/bin/sh", Args: []string{"-c", `id "$1" >/dev/null 2>&1 || useradd -M "$1"`, "sh", user}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("creating %s: %+v, %v", user, res, err)
	}

	t.Run("first command on a connection times out", func(t *testing.T) {
		// Let the idle close drop the connection, so that the command that
		// times out is the first on a new one.
		time.Sleep(socketIdleClose + 500*time.Millisecond)
		// guest-set-user-password runs chpasswd, which hashes with yescrypt:
		// about 0.7 s in the software-emulated guest, against milliseconds
		// for the connect and the sync.
		args := map[string]any{"username": user, "password": base64.StdEncoding.EncodeToString([]byte("x-Only-For-This-Test-1")), "crypted": false}
		err := c.call(ctxT(t, 200*time.Millisecond), "guest-set-user-password", args, nil)
		if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "guest-set-user-password") {
			t.Skipf("the command did not time out after the sync, as this test needs: %v", err)
		}
		timedOut := time.Now()
		took, err := rawSync(env.Socket, socketIdleClose+time.Second)
		if err != nil {
			t.Fatalf("a second client could not use the socket after the timeout (or another process held it): %v", err)
		}
		t.Logf("second client served %s after the timeout (%s after the command's error)", took.Round(time.Millisecond), time.Since(timedOut).Round(time.Millisecond))
	})

	t.Run("after Run killed a command", func(t *testing.T) {
		_, err := c.Run(ctxT(t, time.Minute), ExecRequest{Path: "/bin/sh", Args: []string{"-c", "sleep 300 & wait"}}, time.Second)
		var stopped *StoppedError
		if !errors.As(err, &stopped) || len(stopped.Kill.Killed) != 2 {
			t.Fatalf("err = %v, want 2 processes killed", err)
		}
		took, err := rawSync(env.Socket, socketIdleClose+time.Second)
		if err != nil {
			t.Fatalf("a second client could not use the socket after Run (or another process held it): %v", err)
		}
		t.Logf("second client served %s after Run returned", took.Round(time.Millisecond))
	})
}
