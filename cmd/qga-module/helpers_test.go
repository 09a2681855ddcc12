package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// taskOutput is what Ansible would read from one run of the binary.
type taskOutput struct {
	Result   map[string]any
	ExitCode int
	Raw      string // the exact stdout, for searching for leaked secrets
}

// runTask runs a module in-process the way Ansible runs the binary: an
// arguments file with the task's options and _ansible_ keys, argv[0]
// named AnsiballZ_<module>. It checks that stdout is exactly one JSON
// object.
func runTask(t *testing.T, argv0 string, args map[string]any) taskOutput {
	t.Helper()
	path := filepath.Join(t.TempDir(), "args")
	data, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return runArgsFile(t, argv0, path)
}

func runArgsFile(t *testing.T, argv0, path string) taskOutput {
	t.Helper()
	var stdout bytes.Buffer
	code := runModule([]string{argv0, path}, &stdout)
	raw := stdout.String()
	dec := json.NewDecoder(strings.NewReader(raw))
	var res map[string]any
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("stdout is not a JSON object: %v\n%s", err, raw)
	}
	if _, err := dec.Token(); err != io.EOF {
		t.Fatalf("stdout holds more than one JSON value: %s", raw)
	}
	return taskOutput{Result: res, ExitCode: code, Raw: raw}
}

// task builds module arguments as Ansible writes them, for a module named
// by its FQCN.
func task(module string, options map[string]any) map[string]any {
	args := map[string]any{
		"_ansible_module_name": "qgatools.qga." + module,
		"_ansible_check_mode":  false,
		"_ansible_diff":        false,
		"_ansible_no_log":      false,
		"_ansible_verbosity":   0,
		"_ansible_version":     "2.14.18",
		"_ansible_tmpdir":      "/tmp/ansible-tmp",
		"_ansible_remote_tmp":  "~/.ansible/tmp",
	}
	for k, v := range options {
		args[k] = v
	}
	return args
}

// socketTask is a task of module against the fake agent's socket, with a
// short agent_timeout.
func socketTask(a *fakeAgent, module string, options map[string]any) map[string]any {
	o := map[string]any{"agent_socket": a.socket, "agent_timeout": 5}
	for k, v := range options {
		o[k] = v
	}
	return task(module, o)
}

func (o taskOutput) failed() bool {
	f, _ := o.Result["failed"].(bool)
	return f
}

func (o taskOutput) changed() bool {
	c, _ := o.Result["changed"].(bool)
	return c
}

func (o taskOutput) msg() string {
	m, _ := o.Result["msg"].(string)
	return m
}

func (o taskOutput) moduleArgs(t *testing.T) map[string]any {
	t.Helper()
	inv, ok := o.Result["invocation"].(map[string]any)
	if !ok {
		t.Fatalf("no invocation in %s", o.Raw)
	}
	args, ok := inv["module_args"].(map[string]any)
	if !ok {
		t.Fatalf("no invocation.module_args in %s", o.Raw)
	}
	return args
}

// mustSucceed fails the test unless the task succeeded.
func (o taskOutput) mustSucceed(t *testing.T) taskOutput {
	t.Helper()
	if o.failed() || o.ExitCode != 0 {
		t.Fatalf("task failed (exit %d): %s", o.ExitCode, o.Raw)
	}
	return o
}

// mustFail fails the test unless the task failed with a message holding want.
func (o taskOutput) mustFail(t *testing.T, want string) taskOutput {
	t.Helper()
	if !o.failed() || o.ExitCode != 1 {
		t.Fatalf("task did not fail (exit %d): %s", o.ExitCode, o.Raw)
	}
	if !strings.Contains(o.msg(), want) {
		t.Fatalf("msg = %q, want it to contain %q", o.msg(), want)
	}
	return o
}

func stringList(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v (%T) is not a list", v, v)
	}
	out := []string{}
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			t.Fatalf("list element %v (%T) is not a string", e, e)
		}
		out = append(out, s)
	}
	return out
}
