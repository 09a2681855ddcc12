package qgaclient

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runWrapper runs spoolScript on this machine's /bin/sh as the agent
// would: its stdout and stderr on pipes, and the result once both pipes
// are closed (exec.Cmd waits for them, as the agent does).
func runWrapper(t *testing.T, prefix, mode string, capBytes int, argv ...string) (stdout, stderr string, code int) {
	t.Helper()
	args := append([]string{"-c", spoolScript, "qga-exec", prefix + ".o", prefix + ".e", strconv.Itoa(spoolInlineLimit), strconv.Itoa(capBytes), "keep", mode}, argv...)
	cmd := exec.Command(spoolShell, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the wrapper did not end within 30 s (stdout %q)", out.String())
	}
	code = cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return out.String(), errb.String(), code
}

// spoolNames lists what exists of the four names (runWrapper names the
// files prefix.o and prefix.e).
func spoolNames(prefix string) []string {
	var names []string
	for _, s := range []string{".o.p", ".e.p", ".o", ".e"} {
		if _, err := os.Lstat(prefix + s); err == nil {
			names = append(names, s)
		}
	}
	return names
}

// waitGone waits for the wrapper's sweeper to remove prefix's names.
func waitGone(t *testing.T, prefix string) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); len(spoolNames(prefix)) > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%s: %q still there 10 s after the client emptied them", prefix, spoolNames(prefix))
		}
	}
}

func newPrefix(t *testing.T) string {
	return filepath.Join(t.TempDir(), "qga-exec-0123456789abcdef")
}

// The wrapper itself, on this machine's /bin/sh (the guest's shell is a
// POSIX sh too): what it reports, what it leaves, and what it refuses.
func TestSpoolScript(t *testing.T) {
	if _, err := os.Stat(spoolShell); err != nil {
		t.Skip("no /bin/sh here")
	}
	hostile := []string{"it's", "$(touch /tmp/qga-pwned)", "`id`", "a; b", "two words", "line\nbreak", "-n"}

	t.Run("output in files, removed once emptied", func(t *testing.T) {
		prefix := newPrefix(t)
		argv := append([]string{"/bin/sh", "-c", `printf '%s|' "$@"; printf 'err' >&2; exit 3`, "sh"}, hostile...)
		stdout, _, code := runWrapper(t, prefix, spoolHost, agentCaptureLimit+1, argv...)
		if code != 3 || stdout != "\n"+prefix+".o files 1 1\n" {
			t.Fatalf("exit %d, stdout %q", code, stdout)
		}
		o, _ := os.ReadFile(prefix + ".o")
		e, _ := os.ReadFile(prefix + ".e")
		if string(o) != strings.Join(hostile, "|")+"|" || string(e) != "err" {
			t.Fatalf("files hold %q and %q: the arguments did not reach the command as they were", o, e)
		}
		for _, s := range []string{".o", ".e"} {
			if fi, err := os.Stat(prefix + s); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("%s: %v, mode %v; want 0600", s, err, fi.Mode())
			}
		}
		if _, err := os.Stat("/tmp/qga-pwned"); err == nil {
			t.Fatal("an argument was run as a command")
		}
		time.Sleep(1500 * time.Millisecond) // the sweeper keeps files nobody emptied
		if n := spoolNames(prefix); len(n) != 4 {
			t.Fatalf("%q left before the client emptied the files; want all four", n)
		}
		for _, s := range []string{".o", ".e"} {
			if err := os.Truncate(prefix+s, 0); err != nil {
				t.Fatal(err)
			}
		}
		waitGone(t, prefix)
	})

	t.Run("no output", func(t *testing.T) {
		prefix := newPrefix(t)
		stdout, stderr, code := runWrapper(t, prefix, spoolHost, agentCaptureLimit+1, "/bin/true")
		if code != 0 || stdout != "\n"+prefix+".o inline 0 0\n" || stderr != "" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		waitGone(t, prefix)
	})

	t.Run("small output printed by the wrapper", func(t *testing.T) {
		prefix := newPrefix(t)
		stdout, stderr, code := runWrapper(t, prefix, spoolSelf, agentCaptureLimit+1, "/bin/sh", "-c", "printf out; printf err >&2")
		if code != 0 || stdout != "out\n"+prefix+".o inline 0 0\n" || stderr != "err" {
			t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
		}
		waitGone(t, prefix)
	})

	t.Run("capped like the agent: SIGPIPE", func(t *testing.T) {
		prefix := newPrefix(t)
		stdout, _, code := runWrapper(t, prefix, spoolHost, 11, "/usr/bin/yes")
		o, _ := os.ReadFile(prefix + ".o")
		if code != 128+int(syscall.SIGPIPE) || stdout != "\n"+prefix+".o files 1 0\n" || string(o) != "y\ny\ny\ny\ny\ny" {
			t.Fatalf("exit %d, stdout %q, file %q", code, stdout, o)
		}
		_ = os.Truncate(prefix+".o", 0)
		waitGone(t, prefix)
	})

	t.Run("missing program", func(t *testing.T) {
		prefix := newPrefix(t)
		stdout, _, code := runWrapper(t, prefix, spoolHost, agentCaptureLimit+1, "no-such-program-qga")
		if code != 127 || stdout != "\n"+prefix+".o notfound\n" || len(spoolNames(prefix)) != 0 {
			t.Fatalf("exit %d, stdout %q, left %q", code, stdout, spoolNames(prefix))
		}
	})

	// Another user put a name there first (a symlink to a file of
	// theirs or ours): the wrapper stops before the command runs and
	// writes nothing through it. (The files' names cannot be known
	// before they exist; a FIFO's can, once its file is there.)
	for _, s := range []string{".o", ".e", ".o.p", ".e.p"} {
		t.Run("name taken: "+s, func(t *testing.T) {
			prefix := newPrefix(t)
			victim := filepath.Join(t.TempDir(), "victim")
			if err := os.WriteFile(victim, []byte("keep"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(victim, prefix+s); err != nil {
				t.Fatal(err)
			}
			marker := filepath.Join(t.TempDir(), "ran")
			stdout, _, code := runWrapper(t, prefix, spoolHost, agentCaptureLimit+1, "/bin/sh", "-c", `echo data; : >"$1"`, "sh", marker)
			if code == 0 || strings.Contains(stdout, " files ") || strings.Contains(stdout, " inline ") {
				t.Fatalf("exit %d, stdout %q: the wrapper went on", code, stdout)
			}
			if b, _ := os.ReadFile(victim); string(b) != "keep" {
				t.Fatalf("the victim now holds %q", b)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatal("the command ran")
			}
		})
	}
}
