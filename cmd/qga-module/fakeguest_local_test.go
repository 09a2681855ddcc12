package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// A fake agent whose guest is this machine: guest-exec runs the program
// here and guest-file-* work on real files (qgatest's Handle replaces its
// in-memory files), so that guest_copy and guest_fetch run end to end
// (qgaclient's real scripts on /bin/sh) without a VM. Root only, as the
// agent runs; tests put their files in temporary directories.

func newLocalGuest(t *testing.T) *fakeAgent {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the local fake guest runs the file scripts as root, as the agent does")
	}
	a := newFakeAgent(t)
	a.exec = runLocally
	files := &localFiles{open: map[int64]*os.File{}, next: 1000}
	t.Cleanup(files.closeAll)
	for _, command := range []string{"guest-file-open", "guest-file-read", "guest-file-write", "guest-file-seek", "guest-file-close"} {
		a.Handle(command, func(raw json.RawMessage) (any, *qgatest.Error) { return files.handle(command, raw) })
	}
	return a
}

func runLocally(path string, args, env []string, stdin []byte) fakeExit {
	cmd := exec.Command(path, args...)
	if env != nil {
		cmd.Env = env
	}
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		code, errOut = 127, *bytes.NewBufferString(err.Error())
	}
	return fakeExit{Code: code, Stdout: out.String(), Stderr: errOut.String()}
}

// localFiles are the files the fake agent's client has open, by handle.
type localFiles struct {
	mu   sync.Mutex
	open map[int64]*os.File
	next int64
}

func (l *localFiles) closeAll() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range l.open {
		_ = f.Close()
	}
}

// handle answers one guest-file-* command as qemu-ga does, on real files.
func (l *localFiles) handle(command string, raw json.RawMessage) (any, *qgatest.Error) {
	var args struct {
		Path   string `json:"path"`
		Mode   string `json:"mode"`
		Handle int64  `json:"handle"`
		Count  int    `json:"count"`
		Buf    []byte `json:"buf-b64"`
		Offset int64  `json:"offset"`
		Whence string `json:"whence"`
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		return nil, qgatest.GenericError("Invalid parameter type: " + err.Error())
	}
	fail := func(err error) (any, *qgatest.Error) { return nil, qgatest.GenericError(err.Error()) }
	l.mu.Lock()
	defer l.mu.Unlock()
	if command == "guest-file-open" {
		flags, ok := map[string]int{"": os.O_RDONLY, "r": os.O_RDONLY, "w": os.O_WRONLY | os.O_CREATE | os.O_TRUNC}[args.Mode]
		if !ok {
			return fail(errors.New("the local fake guest opens files with mode r or w only, not " + args.Mode))
		}
		f, err := os.OpenFile(args.Path, flags, 0o666)
		if err != nil {
			return fail(err)
		}
		l.next++
		l.open[l.next] = f
		return l.next, nil
	}
	f := l.open[args.Handle]
	if f == nil {
		return fail(errors.New("invalid handle"))
	}
	switch command {
	case "guest-file-read":
		buf := make([]byte, args.Count)
		n, err := io.ReadFull(f, buf)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
			return fail(err)
		}
		return map[string]any{"count": n, "buf-b64": buf[:n], "eof": n < args.Count}, nil
	case "guest-file-write":
		n, err := f.Write(args.Buf)
		if err != nil {
			return fail(err)
		}
		return map[string]any{"count": n, "eof": false}, nil
	case "guest-file-seek":
		whence := map[string]int{"set": io.SeekStart, "cur": io.SeekCurrent, "end": io.SeekEnd}[args.Whence]
		pos, err := f.Seek(args.Offset, whence)
		if err != nil {
			return fail(err)
		}
		return map[string]any{"position": pos, "eof": false}, nil
	}
	_ = f.Close() // guest-file-close
	delete(l.open, args.Handle)
	return struct{}{}, nil
}
