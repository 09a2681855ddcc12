package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

func execTask(a *fakeAgent, options map[string]any) map[string]any {
	return socketTask(a, "guest_exec", options)
}

// fakeGuestFiles makes the fake agent's guest-exec answer the module's
// path test (sh -c pathMatchScript _ PATTERN) from a set of existing paths.
func fakeGuestFiles(existing ...string) func(string, []string, []string, []byte) (bool, fakeExit) {
	return func(path string, args []string, _ []string, _ []byte) (bool, fakeExit) {
		if path != guestShell || len(args) != 4 || args[1] != pathMatchScript {
			return false, fakeExit{}
		}
		if slices.Contains(existing, args[3]) {
			return true, fakeExit{Code: 0}
		}
		return true, fakeExit{Code: 1}
	}
}

func TestExecResultLikeCommandModule(t *testing.T) {
	a := newFakeAgent(t)
	var gotPath string
	var gotArgs, gotEnv []string
	var gotStdin []byte
	a.exec = func(path string, args, env []string, stdin []byte) fakeExit {
		gotPath, gotArgs, gotEnv, gotStdin = path, args, env, stdin
		return fakeExit{Stdout: "one\ntwo\n\n", Stderr: "warn\n"}
	}
	out := runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"cmd": "echo hi", "stdin": "data", "env": map[string]any{"A": 1}})).mustSucceed(t)
	if gotPath != "/bin/sh" || !slices.Equal(gotArgs, []string{"-c", "echo hi"}) {
		t.Errorf("ran %s %q", gotPath, gotArgs)
	}
	if string(gotStdin) != "data\n" {
		t.Errorf("stdin = %q, want a newline added", gotStdin)
	}
	if !slices.Equal(gotEnv, []string{"A=1", "PATH=" + guestrules.DefaultGuestPath}) {
		t.Errorf("env = %q", gotEnv)
	}
	r := out.Result
	if !out.changed() || r["rc"] != float64(0) || r["stdout"] != "one\ntwo" || r["stderr"] != "warn" {
		t.Errorf("result: %s", out.Raw)
	}
	if got := stringList(t, r["stdout_lines"]); !slices.Equal(got, []string{"one", "two"}) {
		t.Errorf("stdout_lines = %q", got)
	}
	if got := stringList(t, r["cmd"]); !slices.Equal(got, []string{"/bin/sh", "-c", "echo hi"}) {
		t.Errorf("cmd = %q", got)
	}
	for _, key := range []string{"start", "end", "delta", "pid"} {
		if r[key] == nil {
			t.Errorf("no %s: %s", key, out.Raw)
		}
	}
}

func TestExecNonZeroExitFails(t *testing.T) {
	a := newFakeAgent(t)
	a.exec = func(string, []string, []string, []byte) fakeExit { return fakeExit{Code: 3, Stderr: "bad thing\n"} }
	out := runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"argv": []any{"false"}, "strip_empty_ends": false})).mustFail(t, "non-zero return code")
	if out.Result["rc"] != float64(3) || out.Result["stderr"] != "bad thing\n" || !out.changed() {
		t.Errorf("%s", out.Raw)
	}
}

func TestExecCreatesRemoves(t *testing.T) {
	a := newFakeAgent(t)
	ran := 0
	files := fakeGuestFiles("/etc/done")
	a.exec = func(path string, args, env []string, stdin []byte) fakeExit {
		if handled, exit := files(path, args, env, stdin); handled {
			return exit
		}
		ran++
		return fakeExit{}
	}
	run := func(options map[string]any) taskOutput {
		return runTask(t, "AnsiballZ_guest_exec", execTask(a, options)).mustSucceed(t)
	}
	out := run(map[string]any{"argv": []any{"touch", "/etc/done"}, "creates": "/etc/done"})
	if out.changed() || ran != 0 || out.msg() != "Did not run command since '/etc/done' exists" {
		t.Errorf("creates, exists: %s", out.Raw)
	}
	out = run(map[string]any{"argv": []any{"rm", "/etc/gone"}, "removes": "/etc/gone"})
	if out.changed() || ran != 0 || out.msg() != "Did not run command since '/etc/gone' does not exist" {
		t.Errorf("removes, missing: %s", out.Raw)
	}
	out = run(map[string]any{"argv": []any{"touch", "/etc/new"}, "creates": "/etc/new", "_ansible_check_mode": true})
	if !out.changed() || ran != 0 || out.msg() != "Command would have run if not in check mode" {
		t.Errorf("check mode, creates missing: %s", out.Raw)
	}
	out = run(map[string]any{"argv": []any{"touch", "/etc/done"}, "creates": "/etc/done", "_ansible_check_mode": true})
	if out.changed() || out.msg() != "Would not run command since '/etc/done' exists" {
		t.Errorf("check mode, creates exists: %s", out.Raw)
	}
	out = run(map[string]any{"argv": []any{"touch", "/etc/new"}, "creates": "/etc/new"})
	if !out.changed() || ran != 1 {
		t.Errorf("creates missing: ran %d: %s", ran, out.Raw)
	}
}

func TestExecCheckModeWithoutCreatesSkipsWithoutGuest(t *testing.T) {
	a := newFakeAgent(t)
	out := runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"cmd": "reboot", "_ansible_check_mode": true})).mustSucceed(t)
	if out.Result["skipped"] != true || out.changed() || a.callCount("guest-ping") != 0 {
		t.Errorf("%s", out.Raw)
	}
}

func TestExecTimeoutKillsTheCommand(t *testing.T) {
	a := newFakeAgent(t)
	var kill []string
	a.exec = func(path string, args, _ []string, _ []byte) fakeExit {
		// qgaclient.Client.Run kills with a script run by the guest's
		// /bin/sh, the PID as its own argument.
		if path == "/bin/sh" && len(args) == 4 && strings.Contains(args[1], "kill -KILL") {
			kill = args
			a.Exit(101, fakeExit{Code: 137}.result()) // killed
			return fakeExit{Stdout: "killed 101 102 103\n"}
		}
		return fakeExit{Running: true}
	}
	start := time.Now()
	out := runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"cmd": "sleep 100 & sleep 100 & wait", "timeout": 1}))
	out.mustFail(t, `command "/bin/sh" (PID 101) did not finish within its timeout of 1s`)
	if !strings.Contains(out.msg(), "killed 3 processes in the guest: its own (PID 101) and the 2 it had started (PIDs 102 103)") {
		t.Errorf("msg %q does not say what was killed", out.msg())
	}
	if len(kill) != 4 || kill[3] != "101" || strings.Contains(kill[1], "101") {
		t.Errorf("kill script run with %q, want PID 101 as its own argument", kill)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestExecEchoedSensitiveStdinIsMasked(t *testing.T) {
	a := newFakeAgent(t)
	a.exec = func(_ string, _ []string, _ []string, stdin []byte) fakeExit {
		return fakeExit{Stdout: "got " + strings.TrimSpace(string(stdin)), Code: 1}
	}
	out := runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"argv": []any{"cat"}, "stdin": "  hush-1234  ", "stdin_sensitive": true}))
	out.mustFail(t, "non-zero return code")
	if strings.Contains(out.Raw, "hush-1234") || out.Result["stdout"] != "got ********" {
		t.Fatalf("stdin leaked: %s", out.Raw)
	}
}

func TestExecArgumentErrors(t *testing.T) {
	a := newFakeAgent(t)
	runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"cmd": ""})).mustFail(t, "no command given")
	runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"argv": []any{"ls"}, "cmd": "ls"})).mustFail(t, "parameters are mutually exclusive: argv|cmd")
	runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"argv": []any{"ls"}, "timeout": 0})).mustFail(t, "timeout must be a positive number")
}

func TestPythonFormats(t *testing.T) {
	if got := pythonDelta(3723*time.Second + 4567*time.Microsecond); got != "1:02:03.004567" {
		t.Errorf("delta %q", got)
	}
	if got := splitLines("a\r\nb\n"); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("lines %q", got)
	}
}
