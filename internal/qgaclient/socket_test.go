package qgaclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func socketClient(t *testing.T, a *fakeAgent) *Client {
	t.Helper()
	c, err := Open(Target{AgentSocket: a.path}, Options{CallTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// newSocketTransport is a socket transport of its own, for tests that wrap
// it.
func newSocketTransport(path string) *socketTransport {
	return &socketTransport{ch: NewPool().socketChannel(path)}
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestSocketPingAndInfo(t *testing.T) {
	a := newFakeAgent(t)
	c := socketClient(t, a)
	if err := c.Ping(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(ctxT(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := info.Command("guest-ping"); !ok || info.Version != "7.2.0-fake" {
		t.Fatalf("info = %+v", info)
	}
	if n := a.callCount("guest-sync-delimited"); n != 1 {
		t.Fatalf("synced %d times for two commands on one session, want 1", n)
	}
}

func TestSocketSkipsStaleOutputFromEarlierClient(t *testing.T) {
	a := newFakeAgent(t)
	// Half a reply and garbage, as left by a client that went away mid-read,
	// plus a complete stale answer to someone else's sync.
	a.misbehave([]byte("{\"return\": {\"pid\": 12, \"x\": \"abc\x00garbage {{{ \xff{\"return\": 4242}\n"), false)
	c := socketClient(t, a)
	if err := c.Ping(ctxT(t, 5*time.Second)); err != nil {
		t.Fatalf("ping after stale bytes: %v", err)
	}
}

func TestSocketTimeoutThenResync(t *testing.T) {
	a := newFakeAgent(t)
	// The answer comes 1 s late: a timeout seen after 700 ms was still
	// honoured (the margin is for a loaded CI machine), not waited out.
	a.handle("guest-get-host-name", sleepHandler(time.Second, map[string]string{"host-name": "late"}))
	c := socketClient(t, a)
	start := time.Now()
	_, err := c.Hostname(ctxT(t, 100*time.Millisecond))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Fatalf("timeout took %s, want about 100ms", d)
	}
	// The late answer arrives on the channel; the next command must not take it.
	a.handle("guest-get-host-name", func(json.RawMessage) (any, *AgentError) {
		return map[string]string{"host-name": "fresh"}, nil
	})
	h, err := c.Hostname(ctxT(t, 5*time.Second))
	if err != nil || h != "fresh" {
		t.Fatalf("after resync: %q, %v", h, err)
	}
}

func TestSocketAgentErrorsAreTyped(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-exec", func(json.RawMessage) (any, *AgentError) {
		return nil, &AgentError{Class: "GenericError", Desc: "Failed to execute child process “/nope” (No such file or directory)"}
	})
	a.handle("guest-exec-status", func(json.RawMessage) (any, *AgentError) { return nil, nil })
	a.Remove("guest-ssh-get-authorized-keys")
	c := socketClient(t, a)
	ctx := ctxT(t, 5*time.Second)

	_, err := c.Exec(ctx, ExecRequest{Path: "/nope"})
	var ae *AgentError
	if !errors.Is(err, ErrAgentFailed) || !errors.As(err, &ae) || ae.Class != "GenericError" {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"agent socket " + a.path, "guest-exec", `"/nope"`, "No such file"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}

	// A command the agent lacks: caught by Require before anything is sent.
	_, err = c.SSHKeys(ctx, "alice")
	if !errors.Is(err, ErrCommandUnsupported) || !strings.Contains(err.Error(), "guest-ssh-get-authorized-keys") || !strings.Contains(err.Error(), "Windows guests never have them") {
		t.Fatalf("err = %v", err)
	}
	// And one that slips past the cached guest-info: classified from the reply.
	err = c.call(ctx, "guest-frobnicate", nil, nil)
	if !errors.Is(err, ErrCommandUnsupported) {
		t.Fatalf("err = %v", err)
	}
}

func TestRequireReportsDisabledCommand(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-info", func(json.RawMessage) (any, *AgentError) {
		return AgentInfo{Version: "7.2", Commands: []CommandInfo{{Name: "guest-exec", Enabled: false}, {Name: "guest-exec-status", Enabled: true}}}, nil
	})
	c := socketClient(t, a)
	_, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/true"})
	if !errors.Is(err, ErrCommandDisabled) {
		t.Fatalf("err = %v, want ErrCommandDisabled", err)
	}
	if !strings.Contains(err.Error(), "guest-exec") || !strings.Contains(err.Error(), "--block-rpcs") {
		t.Fatalf("error does not name the command and the fix: %v", err)
	}
	if a.callCount("guest-exec") != 0 {
		t.Fatal("guest-exec was sent although guest-info said it is disabled")
	}
}

func TestDisabledReplyIsTyped(t *testing.T) {
	e := classifyAgentError("t", "guest-exec", &AgentError{Class: "CommandNotFound", Desc: "The command guest-exec has been disabled for this instance"})
	if !errors.Is(e, ErrCommandDisabled) {
		t.Fatalf("%v", e)
	}
}

func TestExecPollsUntilExitAndDecodesOutput(t *testing.T) {
	a := newFakeAgent(t)
	var mu sync.Mutex
	polls := 0
	a.handle("guest-exec", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Path  string   `json:"path"`
			Arg   []string `json:"arg"`
			Input string   `json:"input-data"`
		}
		json.Unmarshal(args, &in)
		if in.Path != "/bin/cat" || len(in.Arg) != 1 || in.Input != base64.StdEncoding.EncodeToString([]byte("secret stdin")) {
			return nil, &AgentError{Class: "GenericError", Desc: "unexpected args " + string(args)}
		}
		return map[string]int{"pid": 77}, nil
	})
	a.handle("guest-exec-status", func(json.RawMessage) (any, *AgentError) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		if polls < 3 {
			return map[string]any{"exited": false}, nil
		}
		return map[string]any{"exited": true, "exitcode": 3, "out-data": base64.StdEncoding.EncodeToString([]byte("out")),
			"err-data": base64.StdEncoding.EncodeToString([]byte("err")), "out-truncated": true}, nil
	})
	c := socketClient(t, a)
	res, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/cat", Args: []string{"-"}, Stdin: []byte("secret stdin")})
	if err != nil {
		t.Fatal(err)
	}
	if res.PID != 77 || res.ExitCode != 3 || string(res.Stdout) != "out" || string(res.Stderr) != "err" || !res.StdoutTruncated || res.StderrTruncated {
		t.Fatalf("result = %+v", res)
	}
	if polls != 3 {
		t.Fatalf("polled %d times, want 3", polls)
	}
}

func TestExecTimeoutNamesPID(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-exec", func(json.RawMessage) (any, *AgentError) { return map[string]int{"pid": 99}, nil })
	a.handle("guest-exec-status", func(json.RawMessage) (any, *AgentError) { return map[string]any{"exited": false}, nil })
	c := socketClient(t, a)
	_, err := c.Exec(ctxT(t, 200*time.Millisecond), ExecRequest{Path: "/bin/sleep", Args: []string{"100"}})
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "PID 99") || !strings.Contains(err.Error(), "left running") {
		t.Fatalf("err = %v", err)
	}
}

func TestConcurrentCallsEachGetTheirOwnReply(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-exec", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Path string `json:"path"`
		}
		json.Unmarshal(args, &in)
		var n int
		fmt.Sscanf(in.Path, "/bin/n%d", &n)
		return map[string]int{"pid": n}, nil
	})
	a.handle("guest-exec-status", func(json.RawMessage) (any, *AgentError) { return nil, nil })
	c := socketClient(t, a)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := 1; i <= 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pid, err := c.ExecStart(ctxT(t, 10*time.Second), ExecRequest{Path: fmt.Sprintf("/bin/n%d", i)})
			if err != nil || pid != i {
				errs <- fmt.Errorf("call %d got pid %d, err %w", i, pid, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestSilentAgentIsUnavailableWithinBound(t *testing.T) {
	a := newFakeAgent(t)
	a.misbehave(nil, true)
	c := socketClient(t, a)
	start := time.Now()
	err := c.Ping(ctxT(t, 300*time.Millisecond))
	if !errors.Is(err, ErrAgentUnavailable) && !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("took %s", time.Since(start))
	}
}

func TestMissingSocketNamesPath(t *testing.T) {
	c, _ := Open(Target{AgentSocket: "/nonexistent/qga.sock"}, Options{})
	err := c.Ping(ctxT(t, time.Second))
	if !errors.Is(err, ErrConnection) || !strings.Contains(err.Error(), "/nonexistent/qga.sock") {
		t.Fatalf("err = %v", err)
	}
}

func TestSSHKeysMissingFileIsEmpty(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-ssh-get-authorized-keys", func(json.RawMessage) (any, *AgentError) {
		return nil, &AgentError{Class: "GenericError", Desc: "failed to open file '/home/alice/.ssh/authorized_keys': No such file or directory"}
	})
	c := socketClient(t, a)
	keys, err := c.SSHKeys(ctxT(t, 5*time.Second), "alice")
	if err != nil || keys == nil || len(keys) != 0 {
		t.Fatalf("keys = %v, err = %v", keys, err)
	}
}

func TestPasswordNeverInErrors(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-set-user-password", func(args json.RawMessage) (any, *AgentError) {
		return nil, &AgentError{Class: "GenericError", Desc: "child process has failed to set user password"}
	})
	c := socketClient(t, a)
	const pw = "hunter2-very-secret"
	err := c.SetUserPassword(ctxT(t, 5*time.Second), "mallory", pw, false)
	if err == nil {
		t.Fatal("want an error")
	}
	msg := fmt.Sprintf("%v %+v %#v", err, err, err)
	if strings.Contains(msg, pw) || strings.Contains(msg, base64.StdEncoding.EncodeToString([]byte(pw))) {
		t.Fatalf("password leaked into the error: %s", msg)
	}
	if !strings.Contains(err.Error(), `user "mallory"`) {
		t.Fatalf("error does not name the user: %v", err)
	}
	if err := c.SetUserPassword(ctxT(t, time.Second), "mallory", "", false); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty password: %v", err)
	}
}

func TestWaitForAgentRetriesThenSucceeds(t *testing.T) {
	a := newFakeAgent(t)
	var mu sync.Mutex
	n := 0
	a.handle("guest-ping", func(json.RawMessage) (any, *AgentError) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if n < 3 {
			return nil, &AgentError{Class: "GenericError", Desc: "not yet"}
		}
		return map[string]any{}, nil
	})
	c := socketClient(t, a)
	var seen []time.Duration
	if err := c.WaitForAgent(context.Background(), 10*time.Second, func(w time.Duration, _ error) { seen = append(seen, w) }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("progress called %d times, want 2", len(seen))
	}
}

func TestWaitForAgentGivesUpWithCause(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-ping", func(json.RawMessage) (any, *AgentError) {
		return nil, &AgentError{Class: "GenericError", Desc: "still booting"}
	})
	c := socketClient(t, a)
	start := time.Now()
	// The cause is the agent's answer even when a loaded machine makes the
	// last ping miss the wait's end.
	err := c.WaitForAgent(context.Background(), 2*time.Second, nil)
	if !errors.Is(err, ErrAgentUnavailable) || !strings.Contains(err.Error(), "still booting") || !strings.Contains(err.Error(), "after waiting") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("waited %s for a 2s limit", d)
	}
}

func TestFileRoundTripInChunks(t *testing.T) {
	a := newFakeAgent(t)
	var mu sync.Mutex
	files := map[int64][]byte{}
	pos := map[int64]int{}
	a.handle("guest-file-open", func(json.RawMessage) (any, *AgentError) {
		mu.Lock()
		defer mu.Unlock()
		h := int64(1000 + len(files))
		files[h] = nil
		return h, nil
	})
	a.handle("guest-file-write", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Handle int64  `json:"handle"`
			Buf    []byte `json:"buf-b64"`
		}
		json.Unmarshal(args, &in)
		mu.Lock()
		defer mu.Unlock()
		files[in.Handle] = append(files[in.Handle], in.Buf...)
		return map[string]any{"count": len(in.Buf), "eof": false}, nil
	})
	a.handle("guest-file-read", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Handle int64 `json:"handle"`
			Count  int   `json:"count"`
		}
		json.Unmarshal(args, &in)
		mu.Lock()
		defer mu.Unlock()
		src := files[1000]
		p := pos[in.Handle]
		end := min(p+in.Count, len(src))
		pos[in.Handle] = end
		return map[string]any{"count": end - p, "buf-b64": base64.StdEncoding.EncodeToString(src[p:end]), "eof": end == len(src)}, nil
	})
	a.handle("guest-file-close", func(json.RawMessage) (any, *AgentError) { return map[string]any{}, nil })
	c := socketClient(t, a)
	data := []byte(strings.Repeat("0123456789abcdef", 200_000)) // 3.2 MB: several chunks
	ctx := ctxT(t, 10*time.Second)
	if err := c.WriteFile(ctx, "/tmp/x", data); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadFile(ctx, "/tmp/x")
	if err != nil || string(got) != string(data) {
		t.Fatalf("read back %d bytes, err %v", len(got), err)
	}
}

func TestExecLostWhenAgentForgetsPID(t *testing.T) {
	a := newFakeAgent(t)
	a.handle("guest-exec", func(json.RawMessage) (any, *AgentError) { return map[string]int{"pid": 5}, nil })
	a.handle("guest-exec-status", func(json.RawMessage) (any, *AgentError) {
		return nil, &AgentError{Class: "GenericError", Desc: "Invalid parameter 'pid'"}
	})
	c := socketClient(t, a)
	_, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/sleep", Args: []string{"9"}})
	if !errors.Is(err, ErrOutcomeUnknown) || !strings.Contains(err.Error(), "may or may not have completed") {
		t.Fatalf("err = %v", err)
	}
}
