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
// plus a second. Other test packages use the test bed's socket too, and
// QEMU queues a client while another holds it, so the independent client
// tries for up to 30 s: a socket our client kept would fail every attempt
// (the tight bound is proven with the fake agent, socket_release_test.go).
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
		took, err := rawSyncSoon(env.Socket)
		if err != nil {
			t.Fatalf("a second client could not use the socket after the timeout: %v", err)
		}
		t.Logf("second client served %s after the timeout (%s after the command's error)", took.Round(time.Millisecond), time.Since(timedOut).Round(time.Millisecond))
	})

	t.Run("after Run killed a command", func(t *testing.T) {
		// A single process: how many a shell would have forked within the
		// second depends on the guest's load, and killing trees is
		// TestRunKillsProcessTree's; this is about the socket after it.
		_, err := c.Run(ctxT(t, time.Minute), ExecRequest{Path: "/bin/sleep", Args: []string{"300"}}, time.Second)
		var stopped *StoppedError
		if !errors.As(err, &stopped) || stopped.Kill.Scope != KilledTree || len(stopped.Kill.Killed) != 1 {
			t.Fatalf("err = %v, want the command's process killed", err)
		}
		took, err := rawSyncSoon(env.Socket)
		if err != nil {
			t.Fatalf("a second client could not use the socket after Run: %v", err)
		}
		t.Logf("second client served %s after Run returned", took.Round(time.Millisecond))
	})
}

// rawSyncSoon is rawSync, retried while another client of the shared test
// bed socket may hold it, for up to 30 s in all.
func rawSyncSoon(path string) (time.Duration, error) {
	start := time.Now()
	for {
		_, err := rawSync(path, socketIdleClose+time.Second)
		if err == nil || time.Since(start) > 30*time.Second {
			return time.Since(start), err
		}
		time.Sleep(100 * time.Millisecond) // a dial error returns at once
	}
}
