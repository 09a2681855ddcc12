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
	const prefix = "/tmp/qga-exec-0123"
	for _, tc := range []struct {
		name   string
		stdout string
		ok     bool
		want   spoolTrailer
	}{
		{"no output", "\n" + prefix + " inline 0 0\n", true, spoolTrailer{}},
		{"inline", "hello\n\n" + prefix + " inline 0 0\n", true, spoolTrailer{at: 6}},
		{"files", "\n" + prefix + " files 1 0\n", true, spoolTrailer{files: true, stdout: true}},
		{"both files", "\n" + prefix + " files 1 1\n", true, spoolTrailer{files: true, stdout: true, stderr: true}},
		{"not found", "\n" + prefix + " notfound\n", true, spoolTrailer{notFound: true}},
		// The command printed a line like the wrapper's: the last one counts.
		{"forged first", "\n" + prefix + " files 1 1\n\n" + prefix + " inline 0 0\n", true, spoolTrailer{at: 30}},
		{"no trailer", "just output\n", false, spoolTrailer{}},
		{"cut short", "\n" + prefix + " files 1", false, spoolTrailer{}},
		{"another prefix", "\n/tmp/qga-exec-9999 inline 0 0\n", false, spoolTrailer{}},
		{"bad mode", "\n" + prefix + " rm 0 0\n", false, spoolTrailer{}},
		{"bad flag", "\n" + prefix + " files 2 0\n", false, spoolTrailer{}},
		{"files without any", "\n" + prefix + " files 0 0\n", false, spoolTrailer{}},
		{"extra field", "\n" + prefix + " files 1 1 1\n", false, spoolTrailer{}},
	} {
		got, ok := parseSpoolTrailer([]byte(tc.stdout), prefix)
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
// status is made by status(name of its stdout file), its files are
// files["o"] and files["e"] (other files: files[base name]), and every
// guest-exec and every file opened for writing is recorded.
type spoolAgent struct {
	*fakeAgent
	mu      sync.Mutex
	execs   [][]string // path, then args, of each guest-exec
	files   map[string][]byte
	emptied []string // suffixes of files opened with "w"
	status  func(prefix string) map[string]any
	noSh    bool // /bin/sh cannot be started (a Windows guest)
}

// fileKey is the key of path in files; a.mu is held.
func (a *spoolAgent) fileKey(path string) string {
	for _, argv := range a.execs {
		if len(argv) > 5 && argv[2] == spoolScript {
			switch path {
			case argv[4]:
				return "o"
			case argv[5]:
				return "e"
			}
		}
	}
	return path[strings.LastIndex(path, "/")+1:]
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
			Mode string `json:"mode"`
		}
		json.Unmarshal(args, &in)
		a.mu.Lock()
		defer a.mu.Unlock()
		if in.Mode == "w" {
			a.emptied = append(a.emptied, a.fileKey(in.Path))
			a.files[a.fileKey(in.Path)] = nil
		}
		data, ok := a.files[a.fileKey(in.Path)]
		if !ok {
			return nil, &AgentError{Class: "GenericError", Desc: "No such file or directory"}
		}
		h := int64(len(handles) + 100)
		handles[h] = bytes.NewReader(data)
		return h, nil
	})
	a.handle("guest-file-seek", func(args json.RawMessage) (any, *AgentError) {
		var in struct {
			Handle int64  `json:"handle"`
			Offset int64  `json:"offset"`
			Whence string `json:"whence"`
		}
		json.Unmarshal(args, &in)
		a.mu.Lock()
		defer a.mu.Unlock()
		whence := map[string]int{"set": 0, "cur": 1, "end": 2}[in.Whence]
		pos, err := handles[in.Handle].Seek(in.Offset, whence)
		if err != nil {
			return nil, &AgentError{Class: "GenericError", Desc: err.Error()}
		}
		return map[string]any{"position": pos, "eof": false}, nil
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

// removed says whether a guest-exec removed the spool whose stdout file
// is name, with rm.
func (a *spoolAgent) removed(name string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, argv := range a.execs {
		if len(argv) == 6 && strings.Contains(argv[2], "rm -f") && argv[4] == name {
			return true
		}
	}
	return false
}

// spoolPrefix is the name of the first wrapper's stdout file, and its mode.
func (a *spoolAgent) spoolPrefix(t *testing.T) (name, mode string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	argv := a.execs[0]
	if argv[0] != "/bin/sh" || argv[1] != "-c" || argv[2] != spoolScript || !strings.HasPrefix(argv[4], "/tmp/qga-exec-") || len(argv[4]) != len("/tmp/qga-exec-")+32 ||
		!strings.HasPrefix(argv[5], "/tmp/qga-exec-") || len(argv[5]) != len(argv[4]) || argv[4] == argv[5] {
		t.Fatalf("first exec is not the wrapper: %q", argv)
	}
	return argv[4], argv[9]
}

// Output in files: the client reads both back (stdout cut at the agent's
// 16 MiB, flagged), keeps the agent's status (here a signal), and empties
// the files, which tells the wrapper to remove them: no rm of its own.
func TestSpoolReadsFilesBackAndEmptiesThem(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.files["o"] = bytes.Repeat([]byte("y\n"), agentCaptureLimit/2+1) // the wrapper keeps 16 MiB + 1
	a.files["e"] = []byte("warning\n")
	a.status = func(prefix string) map[string]any {
		return map[string]any{"exited": true, "signal": 15, "out-data": b64("\n" + prefix + " files 1 1\n")}
	}
	res, err := c.Exec(ctxT(t, 20*time.Second), ExecRequest{Path: "big-output", Args: []string{"it's; $(rm -rf /)"}})
	if err != nil {
		t.Fatal(err)
	}
	prefix, mode := a.spoolPrefix(t)
	if argv := a.execs[0]; argv[10] != "big-output" || argv[11] != "it's; $(rm -rf /)" {
		t.Fatalf("the command's argv is not passed as arguments: %q", argv[10:])
	}
	if mode != spoolHost {
		t.Fatalf("mode %q with every guest-file command enabled; want %q", mode, spoolHost)
	}
	if len(res.Stdout) != agentCaptureLimit || !res.StdoutTruncated || string(res.Stderr) != "warning\n" || res.StderrTruncated {
		t.Fatalf("stdout %d bytes (truncated %v), stderr %q (truncated %v)", len(res.Stdout), res.StdoutTruncated, res.Stderr, res.StderrTruncated)
	}
	if res.Signal != 15 || res.ExitCode != 0 {
		t.Fatalf("exit %d, signal %d; want signal 15", res.ExitCode, res.Signal)
	}
	if a.removed(prefix) || len(a.execs) != 1 || strings.Join(a.emptied, ",") != "o,e" {
		t.Fatalf("files emptied %q, execs %q; want o and e emptied and no other exec", a.emptied, a.execs)
	}
}

// Small output in a file: one read, no seek; only the file that holds
// output is opened.
func TestSpoolSmallFile(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.files["o"] = []byte("hi\n")
	a.status = func(prefix string) map[string]any {
		return map[string]any{"exited": true, "exitcode": 3, "out-data": b64("\n" + prefix + " files 1 0\n")}
	}
	res, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/echo", Args: []string{"hi"}})
	if err != nil || string(res.Stdout) != "hi\n" || len(res.Stderr) != 0 || res.ExitCode != 3 {
		t.Fatalf("small output: %+v, %v", res, err)
	}
	if n, s := a.callCount("guest-file-open"), a.callCount("guest-file-seek"); n != 2 || s != 0 {
		t.Fatalf("%d opens, %d seeks; want 2 (read, empty) and none", n, s)
	}
}

// No output, or (where the client cannot read files) small output that the
// wrapper printed itself: nothing to read or remove, and the trailer is not
// part of stdout.
func TestSpoolInlineOutput(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(prefix string) map[string]any {
		return map[string]any{"exited": true, "exitcode": 3, "out-data": b64("hi\n\n" + prefix + " inline 0 0\n"), "err-data": b64("e\n")}
	}
	res, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/echo", Args: []string{"hi"}})
	if err != nil || string(res.Stdout) != "hi\n" || string(res.Stderr) != "e\n" || res.ExitCode != 3 {
		t.Fatalf("inline: %+v, %v", res, err)
	}
	if n := a.callCount("guest-file-open"); n != 0 || len(a.execs) != 1 {
		t.Fatalf("%d files opened, %d execs; want none and one", n, len(a.execs))
	}
}

// A guest where a guest-file command is disabled gets the wrapper that
// prints small output itself.
func TestSpoolSelfWhenFilesDisabled(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.Remove("guest-file-seek")
	a.status = func(prefix string) map[string]any {
		return map[string]any{"exited": true, "out-data": b64("\n" + prefix + " inline 0 0\n")}
	}
	if _, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/true"}); err != nil {
		t.Fatal(err)
	}
	if _, mode := a.spoolPrefix(t); mode != spoolSelf {
		t.Fatalf("mode %q without guest-file-seek; want %q", mode, spoolSelf)
	}
}

// A wrapper killed before its report (a timeout's kill): the signal, and
// the files removed.
func TestSpoolKilledWrapperIsCleanedUp(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(string) map[string]any { return map[string]any{"exited": true, "signal": 9} }
	res, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/sleep", Args: []string{"100"}})
	if err != nil || res.Signal != 9 {
		t.Fatalf("killed wrapper: %+v, %v", res, err)
	}
	if prefix, _ := a.spoolPrefix(t); !a.removed(prefix) {
		t.Fatalf("%s.* was not removed", prefix)
	}
}

// The wrapper could not run the command, or could not make its FIFOs or files:
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
		return map[string]any{"exited": true, "exitcode": 125, "err-data": b64("mkfifo: cannot create fifo: No space left on device\n")}
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
		got, more, err := c.readFileUpTo(ctxT(t, 5*time.Second), "/x/f", tc.limit)
		if err != nil || string(got) != tc.want || more != tc.more {
			t.Errorf("limit %d: %q, more=%v, %v", tc.limit, got, more, err)
		}
	}
}

// Large output where guest-file-* is blocked: an error that says what to
// enable, of a kind after which nobody polls the forgotten PID again; the
// files are still removed.
func TestSpoolFileReadBlocked(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(prefix string) map[string]any {
		return map[string]any{"exited": true, "exitcode": 0, "out-data": b64("\n" + prefix + " files 1 0\n")}
	}
	a.handle("guest-file-open", func(json.RawMessage) (any, *AgentError) {
		return nil, &AgentError{Class: "GenericError", Desc: "Command guest-file-open has been disabled"}
	})
	_, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/big"})
	if !errors.Is(err, ErrCommandDisabled) || errors.Is(err, ErrAgentUnavailable) || !strings.Contains(err.Error(), "agent_socket") || !strings.Contains(err.Error(), `"/bin/big"`) {
		t.Fatalf("blocked file read: %v", err)
	}
	if prefix, _ := a.spoolPrefix(t); !a.removed(prefix) {
		t.Fatalf("%s.* was not removed", prefix)
	}
}

// Large input for a guest without /bin/sh (Windows) fails before anything
// is written to the guest: the input may be secret, and without the shell
// the staged file could not be removed.
func TestLargeStdinWithoutShellWritesNothing(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.noSh = true
	_, err := c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: `C:\Windows\System32\findstr.exe`, Stdin: bytes.Repeat([]byte("s"), maxInlineStdin+1)})
	if err == nil || !strings.Contains(err.Error(), "/bin/sh") || !strings.Contains(err.Error(), "agent_socket") {
		t.Fatalf("err = %v, want one that says the guest lacks /bin/sh and what to do", err)
	}
	if n := a.callCount("guest-file-open"); n != 0 || len(a.execs) != 0 {
		t.Fatalf("%d files opened, commands started %q: want nothing done in the guest", n, a.execs)
	}
}

// The client's own file scripts print a few lines by design: through
// libvirt they go without the output spool, which costs more than they do;
// a caller's command is still wrapped.
func TestOwnScriptsGoWithoutSpool(t *testing.T) {
	a, c := newSpoolAgent(t)
	a.status = func(string) map[string]any { return map[string]any{"exited": true, "exitcode": 0} }
	if _, err := c.runScript(ctxT(t, 5*time.Second), "looking at", "/etc/x", statFileScript, "/etc/x", "0"); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Exec(ctxT(t, 5*time.Second), ExecRequest{Path: "/bin/sh", Args: []string{"-c", statFileScript}}) // how the fake ends it does not matter
	if len(a.execs) < 2 || a.execs[0][2] != statFileScript || a.execs[1][2] != spoolScript {
		t.Fatalf("started %q: want the own script as it is, then the caller's command wrapped", a.execs)
	}
}
