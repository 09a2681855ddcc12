package qgaclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseSpoolTrailer(t *testing.T) {
	const dir = "/tmp/qga-exec-0123"
	for _, tc := range []struct {
		name   string
		stdout string
		ok     bool
		want   spoolTrailer
	}{
		{"inline", "hello\n\n" + dir + " inline 6 0\n", true, spoolTrailer{at: 6, outSize: 6}},
		{"files", "\n" + dir + " files 20000000 5\n", true, spoolTrailer{files: true, outSize: 20000000, errSize: 5}},
		{"not found", "\n" + dir + " notfound\n", true, spoolTrailer{notFound: true}},
		// The command printed a line like the wrapper's: the last one counts.
		{"forged first", "\n" + dir + " files 99 99\n\n" + dir + " inline 18 0\n", true, spoolTrailer{at: 32, outSize: 18}},
		{"no trailer", "just output\n", false, spoolTrailer{}},
		{"cut short", "\n" + dir + " files 12", false, spoolTrailer{}},
		{"another directory", "\n/tmp/qga-exec-9999 inline 0 0\n", false, spoolTrailer{}},
		{"bad mode", "\n" + dir + " rm 0 0\n", false, spoolTrailer{}},
		{"negative size", "\n" + dir + " files -1 0\n", false, spoolTrailer{}},
		{"extra field", "\n" + dir + " files 1 1 1\n", false, spoolTrailer{}},
	} {
		got, ok := parseSpoolTrailer([]byte(tc.stdout), dir)
		if ok != tc.ok || got != tc.want {
			t.Errorf("%s: got %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

// limitedTransport is the socket transport with libvirt's reply limit, so
// the fake agent sees what a libvirt guest's agent sees.
type limitedTransport struct{ Transport }

func (limitedTransport) replyLimit() int { return spoolInlineLimit }

// spoolAgent fakes the agent's side of spooled commands: the wrapper's
// status is made by status(dir), its files are files[name], and every
// guest-exec is recorded.
type spoolAgent struct {
	*fakeAgent
	mu     sync.Mutex
	execs  [][]string // path, then args, of each guest-exec
	files  map[string][]byte
	status func(dir string) map[string]any
	noSh   bool // /bin/sh cannot be started (a Windows guest)
}

func newSpoolAgent(t *testing.T) (*spoolAgent, *Client) {
	a := &spoolAgent{fakeAgent: newFakeAgent(t), files: map[string][]byte{}}
	handles := map[int64]*bytes.Reader{}
	a.handle("guest-exec", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Path string   `json:"path"`
			Arg  []string `json:"arg"`
		}
		json.Unmarshal(args, &in)
		a.mu.Lock()
		defer a.mu.Unlock()
		if a.noSh && in.Path == "/bin/sh" {
			return nil, &AgentError{Class: "GenericError", Desc: "Guest agent command failed, error was 'Failed to execute child process “/bin/sh” (No such file or directory)'"}
		}
		a.execs = append(a.execs, append([]string{in.Path}, in.Arg...))
		return map[string]int{"pid": len(a.execs)}, nil
	})
	a.handle("guest-exec-status", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			PID int `json:"pid"`
		}
		json.Unmarshal(args, &in)
		a.mu.Lock()
		defer a.mu.Unlock()
		argv := a.execs[in.PID-1]
		if len(argv) > 4 && argv[2] == spoolScript {
			return a.status(argv[4]), nil
		}
		return map[string]any{"exited": true, "exitcode": 0}, nil
	})
	a.handle("guest-file-open", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Path string `json:"path"`
		}
		json.Unmarshal(args, &in)
		a.mu.Lock()
		defer a.mu.Unlock()
		data, ok := a.files[in.Path[strings.LastIndex(in.Path, "/")+1:]]
		if !ok {
			return nil, &AgentError{Class: "GenericError", Desc: "No such file or directory"}
		}
		h := int64(len(handles) + 100)
		handles[h] = bytes.NewReader(data)
		return h, nil
	})
	a.handle("guest-file-read", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Handle int64 `json:"handle"`
			Count  int   `json:"count"`
		}
		json.Unmarshal(args, &in)
		a.mu.Lock()
		defer a.mu.Unlock()
		buf := make([]byte, in.Count)
		n, _ := handles[in.Handle].Read(buf)
		return map[string]any{"count": n, "buf-b64": base64.StdEncoding.EncodeToString(buf[:n]), "eof": handles[in.Handle].Len() == 0}, nil
	})
	a.handle("guest-file-close", func(json.RawMessage) (any, *AgentError) { return map[string]any{}, nil })
	c := NewClient(limitedTransport{newSocketTransport(a.path)}, Options{CallTimeout: 5 * time.Second})
	return a, c
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// removed says whether a guest-exec removed dir with rm -rf.
func (a *spoolAgent) removed(dir string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, argv := range a.execs {
		if len(argv) == 5 && strings.Contains(argv[2], "rm -rf") && argv[4] == dir {
			return true
		}
	}
	return false
}

func (a *spoolAgent) spoolDir(t *testing.T) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	argv := a.execs[0]
	if argv[0] != "/bin/sh" || argv[1] != "-c" || argv[2] != spoolScript || !strings.HasPrefix(argv[4], "/tmp/qga-exec-") || len(argv[4]) != len("/tmp/qga-exec-")+32 {
		t.Fatalf("first exec is not the wrapper: %q", argv)
	}
	return argv[4]
}

// Large output: the client reads both files back (stdout cut at the
// agent's 16 MiB, flagged), keeps the agent's status (here a signal), and
// removes the directory.
func TestSpoolReadsFilesBackAndRemovesThem(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.files["o"] = bytes.Repeat([]byte("y\n"), agentCaptureLimit/2+1) // the wrapper keeps 16 MiB + 1
	a.files["e"] = []byte("warning\n")
	a.status = func(dir string) map[string]any {
		return map[string]any{"exited": true, "signal": 15, "out-data": b64("\n" + dir + " files 16777218 8\n")}
	}
	res, err := c.Exec(ctxT(t, 20*time.Second), ExecRequest{Path: "big-output", Args: []string{"it's; $(rm -rf /)"}})
	if err != nil {
		t.Fatal(err)
	}
	dir := a.spoolDir(t)
	if argv := a.execs[0]; argv[8] != "big-output" || argv[9] != "it's; $(rm -rf /)" {
		t.Fatalf("the command's argv is not passed as arguments: %q", argv[8:])
	}
	if len(res.Stdout) != agentCaptureLimit || !res.StdoutTruncated || string(res.Stderr) != "warning\n" || res.StderrTruncated {
		t.Fatalf("stdout %d bytes (truncated %v), stderr %q (truncated %v)", len(res.Stdout), res.StdoutTruncated, res.Stderr, res.StderrTruncated)
	}
	if res.Signal != 15 || res.ExitCode != 0 {
		t.Fatalf("exit %d, signal %d; want signal 15", res.ExitCode, res.Signal)
	}
	if !a.removed(dir) {
		t.Fatalf("%s was not removed: %q", dir, a.execs)
	}
}

// Small output arrives inline: no file is read, nothing is removed (the
// wrapper did it), and the trailer is not part of stdout.
func TestSpoolInlineOutput(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(dir string) map[string]any {
		return map[string]any{"exited": true, "exitcode": 3, "out-data": b64("hi\n\n" + dir + " inline 3 2\n"), "err-data": b64("e\n")}
	}
	res, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/echo", Args: []string{"hi"}})
	if err != nil || string(res.Stdout) != "hi\n" || string(res.Stderr) != "e\n" || res.ExitCode != 3 {
		t.Fatalf("inline: %+v, %v", res, err)
	}
	if n := a.callCount("guest-file-open"); n != 0 || len(a.execs) != 1 {
		t.Fatalf("%d files opened, %d execs; want none and one", n, len(a.execs))
	}
}

// A wrapper killed before its report (a timeout's kill): the signal, and
// the directory removed.
func TestSpoolKilledWrapperIsCleanedUp(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(string) map[string]any { return map[string]any{"exited": true, "signal": 9} }
	res, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/sleep", Args: []string{"100"}})
	if err != nil || res.Signal != 9 {
		t.Fatalf("killed wrapper: %+v, %v", res, err)
	}
	if dir := a.spoolDir(t); !a.removed(dir) {
		t.Fatalf("%s was not removed", dir)
	}
}

// The wrapper could not run the command, or could not make its directory:
// errors that name the guest and the command.
func TestSpoolWrapperFailures(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(dir string) map[string]any {
		return map[string]any{"exited": true, "exitcode": 127, "out-data": b64("\n" + dir + " notfound\n")}
	}
	_, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/no/such"})
	if err == nil || !strings.Contains(err.Error(), `"/no/such"`) || !strings.Contains(err.Error(), "not found") || !strings.Contains(err.Error(), c.Target()) {
		t.Fatalf("missing program: %v", err)
	}
	a.status = func(string) map[string]any {
		return map[string]any{"exited": true, "exitcode": 125, "err-data": b64("mkdir: cannot create directory: No space left on device\n")}
	}
	_, err = c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/true"})
	if err == nil || !strings.Contains(err.Error(), "No space left") || !strings.Contains(err.Error(), `"/bin/true"`) {
		t.Fatalf("wrapper failure: %v", err)
	}
}

// A guest without /bin/sh (Windows) gets the plain guest-exec, and keeps
// getting it without a failed try each time.
func TestSpoolFallsBackWithoutShell(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.noSh = true
	for i := 0; i < 2; i++ {
		res, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: `C:\Windows\System32\whoami.exe`})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("exec %d: %+v, %v", i, res, err)
		}
	}
	if n := a.callCount("guest-exec"); n != 3 || len(a.execs) != 2 || a.execs[1][0] != `C:\Windows\System32\whoami.exe` {
		t.Fatalf("%d guest-exec calls, started %q; want one failed wrapper and two plain", n, a.execs)
	}
}

// readFileUpTo stops one byte past its limit and says there was more.
func TestReadFileUpTo(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.files["f"] = []byte("0123456789abcdef")
	for _, tc := range []struct {
		limit int
		want  string
		more  bool
	}{{10, "0123456789", true}, {16, "0123456789abcdef", false}, {100, "0123456789abcdef", false}} {
		got, more, err := c.readFileUpTo(ctxT(t, 5*time.Second), "/x/f", tc.limit, int64(tc.limit))
		if err != nil || string(got) != tc.want || more != tc.more {
			t.Errorf("limit %d: %q, more=%v, %v", tc.limit, got, more, err)
		}
	}
}

// Large output where guest-file-* is blocked: an error that says what to
// enable, of a kind after which nobody polls the forgotten PID again; the
// directory is still removed.
func TestSpoolFileReadBlocked(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(dir string) map[string]any {
		return map[string]any{"exited": true, "exitcode": 0, "out-data": b64("\n" + dir + " files 5000000 0\n")}
	}
	a.handle("guest-file-open", func(json.RawMessage) (any, *AgentError) {
		return nil, &AgentError{Class: "GenericError", Desc: "Command guest-file-open has been disabled"}
	})
	_, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/big"})
	if !errors.Is(err, ErrCommandDisabled) || errors.Is(err, ErrAgentUnavailable) || !strings.Contains(err.Error(), "agent_socket") || !strings.Contains(err.Error(), `"/bin/big"`) {
		t.Fatalf("blocked file read: %v", err)
	}
	if dir := a.spoolDir(t); !a.removed(dir) {
		t.Fatalf("%s was not removed", dir)
	}
}
