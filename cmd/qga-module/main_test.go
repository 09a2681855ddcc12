package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"
)

func TestModuleChosenByAnsibleNameOrProgramName(t *testing.T) {
	// Check mode without creates/removes never contacts the guest, so any
	// domain will do.
	options := map[string]any{"domain": "nowhere", "cmd": "true", "_ansible_check_mode": true}
	for _, name := range []string{"qgatools.qga.guest_exec", "guest_exec", "ansible.legacy.guest_exec"} {
		args := task("guest_exec", options)
		args["_ansible_module_name"] = name
		out := runTask(t, "/tmp/AnsiballZ_whatever", args).mustSucceed(t)
		if out.Result["skipped"] != true {
			t.Errorf("%s: not run as guest_exec: %s", name, out.Raw)
		}
	}
	args := task("guest_exec", options)
	delete(args, "_ansible_module_name")
	out := runTask(t, "/root/.ansible/tmp/ansible-tmp-1/AnsiballZ_guest_exec", args).mustSucceed(t)
	if out.Result["skipped"] != true {
		t.Errorf("by program name: not run as guest_exec: %s", out.Raw)
	}

	args["_ansible_module_name"] = "qgatools.qga.guest_nothing"
	runTask(t, "AnsiballZ_guest_nothing", args).mustFail(t, "this program implements the modules guest_copy, guest_exec, guest_fetch, guest_interfaces, guest_osinfo, guest_ssh_keys, guest_user_password of qgatools.qga, not \"qgatools.qga.guest_nothing\"")
}

func TestUsageAndBadArgumentsFile(t *testing.T) {
	var stdout bytes.Buffer
	if code := runModule([]string{"qga-module"}, &stdout); code != 1 || !strings.Contains(stdout.String(), `"failed":true`) || !strings.Contains(stdout.String(), "usage:") {
		t.Errorf("no arguments: exit %d, %s", code, stdout.String())
	}
	bad := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(bad, []byte("domain=x cmd=true"), 0o600); err != nil {
		t.Fatal(err)
	}
	runArgsFile(t, "AnsiballZ_guest_exec", bad).mustFail(t, "are not a JSON object")
	runArgsFile(t, "AnsiballZ_guest_exec", filepath.Join(t.TempDir(), "missing")).mustFail(t, "reading the module arguments")
}

func TestOutputShape(t *testing.T) {
	args := task("guest_exec", map[string]any{"domain": "d", "argv": []any{"ls", "-l"}, "_ansible_check_mode": true})
	out := runTask(t, "AnsiballZ_guest_exec", args).mustSucceed(t)
	for _, key := range []string{"changed", "rc", "stdout", "stderr", "stdout_lines", "stderr_lines", "cmd", "msg", "invocation"} {
		if _, ok := out.Result[key]; !ok {
			t.Errorf("result has no %q: %s", key, out.Raw)
		}
	}
	margs := out.moduleArgs(t)
	for key := range margs {
		if strings.HasPrefix(key, "_ansible_") {
			t.Errorf("invocation holds Ansible's own key %s", key)
		}
	}
	if len(margs) != len(guestExecModule.Spec.Options) {
		t.Errorf("invocation.module_args has %d options, the spec %d: %v", len(margs), len(guestExecModule.Spec.Options), margs)
	}
	if margs["timeout"] != float64(defaultExecTimeout) || margs["stdin_add_newline"] != true {
		t.Errorf("defaults missing from invocation: %v", margs)
	}
}

func TestValidationFailuresAreAnsibleStyleResults(t *testing.T) {
	out := runTask(t, "AnsiballZ_guest_exec", task("guest_exec", map[string]any{"domain": "d", "cmd": "true", "foo": "x"}))
	out.mustFail(t, "Unsupported parameters for (qgatools.qga.guest_exec) module: foo. Supported parameters include: ")
	if out.Result["changed"] != false {
		t.Errorf("a failed validation reports changed: %s", out.Raw)
	}
	// The invocation still shows what was given, for the user to compare.
	if out.moduleArgs(t)["foo"] != "x" {
		t.Errorf("invocation lacks the arguments given: %s", out.Raw)
	}
	runTask(t, "AnsiballZ_guest_user_password", task("guest_user_password", map[string]any{"domain": "d", "password": "x"})).
		mustFail(t, "missing required arguments: user")
	runTask(t, "AnsiballZ_guest_exec", task("guest_exec", map[string]any{"domain": "d", "cmd": "true", "timeout": "soon"})).
		mustFail(t, "argument 'timeout' is of type <class 'str'> and we were unable to convert to int")
}

func TestPanicBecomesFailedResult(t *testing.T) {
	saved := collection.Modules
	collection.Modules = append(slices.Clone(saved), &ansible.Module{
		Name: "guest_panic",
		Spec: ansible.ArgSpec{Options: []ansible.Option{{Name: "password", Type: ansible.TypeStr, NoLog: true}}},
		Run: func(context.Context, *ansible.Request) (ansible.Result, error) {
			panic("boom with secret pw-123")
		},
	})
	defer func() { collection.Modules = saved }()
	out := runTask(t, "AnsiballZ_guest_panic", task("guest_panic", map[string]any{"password": "pw-123"}))
	out.mustFail(t, "internal error in the qgatools.qga module (boom with secret ********)")
	if strings.Contains(out.Raw, "pw-123") || strings.Contains(out.Raw, "goroutine") {
		t.Errorf("panic output leaks the secret or a stack trace: %s", out.Raw)
	}
	if out.moduleArgs(t)["password"] != ansible.NoLogPlaceholder {
		t.Errorf("invocation after a panic: %s", out.Raw)
	}
}

func TestPasswordNeverInOutput(t *testing.T) {
	const secret = "S3cr3t-Pa55"
	for name, options := range map[string]map[string]any{
		"valid but guest unreachable": {"agent_socket": filepath.Join(t.TempDir(), "none.sock"), "agent_timeout": 1, "user": "u", "password": secret},
		"failed validation":           {"domain": "d", "user": "u", "password": secret, "bogus": secret},
		"not a hash":                  {"domain": "d", "user": "u", "password": secret, "crypted": "yes"},
		"wrong type elsewhere":        {"domain": "d", "user": "u", "password": secret, "crypted": "perhaps"},
	} {
		t.Run(name, func(t *testing.T) {
			out := runTask(t, "AnsiballZ_guest_user_password", task("guest_user_password", options))
			out.mustFail(t, "")
			if strings.Contains(out.Raw, secret) {
				t.Fatalf("password in output: %s", out.Raw)
			}
			if out.moduleArgs(t)["password"] != ansible.NoLogPlaceholder {
				t.Fatalf("invocation.module_args.password not masked: %s", out.Raw)
			}
		})
	}
}

func TestSensitiveStdinNeverInOutput(t *testing.T) {
	const secret = "stdin-secret-42"
	args := task("guest_exec", map[string]any{"domain": "d", "cmd": "cat", "stdin": secret + "\n", "stdin_sensitive": true, "_ansible_check_mode": true})
	out := runTask(t, "AnsiballZ_guest_exec", args).mustSucceed(t)
	if strings.Contains(out.Raw, secret) || out.moduleArgs(t)["stdin"] != ansible.NoLogPlaceholder {
		t.Fatalf("stdin leaked: %s", out.Raw)
	}
	// Without stdin_sensitive, stdin is an ordinary option.
	args = task("guest_exec", map[string]any{"domain": "d", "cmd": "cat", "stdin": "plain", "_ansible_check_mode": true})
	if got := runTask(t, "AnsiballZ_guest_exec", args).moduleArgs(t)["stdin"]; got != "plain" {
		t.Fatalf("stdin = %v", got)
	}
}
