package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"
)

// jsonArgs decodes module arguments as readArgsFile does (numbers as
// json.Number).
func jsonArgs(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestValidateMessagesMatchAnsible(t *testing.T) {
	spec := guestExecModule.Spec
	cases := []struct {
		name, args, want string
	}{
		{"unknown option", `{"domain":"d","cmd":"true","foo":1,"bar":2}`,
			"Unsupported parameters for (qgatools.qga.guest_exec) module: bar, foo. Supported parameters include: agent_socket, agent_timeout, argv, cmd, creates, domain, env, removes, stdin, stdin_add_newline, stdin_sensitive, strip_empty_ends, timeout, uri."},
		{"int from text", `{"domain":"d","cmd":"true","timeout":"abc"}`,
			"argument 'timeout' is of type <class 'str'> and we were unable to convert to int: <class 'str'> cannot be converted to an int"},
		{"int from fraction", `{"domain":"d","cmd":"true","timeout":1.5}`,
			"argument 'timeout' is of type <class 'float'> and we were unable to convert to int: <class 'float'> cannot be converted to an int"},
		{"int from list", `{"domain":"d","cmd":"true","timeout":[1]}`,
			"argument 'timeout' is of type <class 'list'> and we were unable to convert to int: <class 'list'> cannot be converted to an int"},
		{"bool from text", `{"domain":"d","cmd":"true","stdin_sensitive":"maybe"}`,
			"argument 'stdin_sensitive' is of type <class 'str'> and we were unable to convert to bool: The value 'maybe' is not a valid boolean.  Valid booleans include: "},
		{"dict from text", `{"domain":"d","cmd":"true","env":"nonsense"}`,
			"argument 'env' is of type <class 'str'> and we were unable to convert to dict: dictionary requested, could not parse JSON or key=value"},
		{"str from dict", `{"domain":"d","cmd":{"a":1}}`,
			"argument 'cmd' is of type <class 'dict'> and we were unable to convert to str: <class 'dict'> cannot be converted to a str"},
		{"both guest names", `{"domain":"d","agent_socket":"/s","cmd":"true"}`,
			"parameters are mutually exclusive: domain|agent_socket"},
		{"no guest name", `{"cmd":"true"}`,
			"one of the following is required: domain, agent_socket"},
		{"no command", `{"domain":"d"}`,
			"one of the following is required: argv, cmd"},
		// Ansible reports unknown options only after every other check.
		{"unknown option and a bad type", `{"domain":"d","cmd":"true","timeout":"x","foo":1}`,
			"argument 'timeout' is of type <class 'str'>"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := spec.Validate("qgatools.qga.guest_exec", jsonArgs(t, c.args))
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Fatalf("error = %v\nwant prefix %s", err, c.want)
			}
		})
	}
}

func TestValidateRequiredAndChoices(t *testing.T) {
	spec := guestSSHKeysModule.Spec
	_, err := spec.Validate("qgatools.qga.guest_ssh_keys", jsonArgs(t, `{"domain":"d"}`))
	if err == nil || err.Error() != "missing required arguments: keys, user" {
		t.Fatalf("error = %v", err)
	}
	_, err = spec.Validate("qgatools.qga.guest_ssh_keys", jsonArgs(t, `{"domain":"d","user":"u","keys":[],"state":"gone"}`))
	if err == nil || err.Error() != "value of state must be one of: present, absent, got: gone" {
		t.Fatalf("error = %v", err)
	}
	// A missing required option is reported before an unknown one, as Ansible does.
	_, err = spec.Validate("qgatools.qga.guest_ssh_keys", jsonArgs(t, `{"domain":"d","keys":[],"nope":1}`))
	if err == nil || err.Error() != "missing required arguments: user" {
		t.Fatalf("error = %v", err)
	}
}

func TestValidateWeakTyping(t *testing.T) {
	// What Ansible sends for k=v arguments and templated values: strings.
	v, err := guestExecModule.Spec.Validate("m", jsonArgs(t, `{
		"agent_socket":"/run/qga.sock", "argv":"ls,-l", "timeout":"30", "agent_timeout":45,
		"stdin_sensitive":"yes", "stdin_add_newline":"off", "strip_empty_ends":0, "env":"LANG=C A='x y'"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"agent_socket": "/run/qga.sock", "argv": []string{"ls", "-l"}, "timeout": 30, "agent_timeout": 45,
		"stdin_sensitive": true, "stdin_add_newline": false, "strip_empty_ends": false,
		"env": map[string]string{"LANG": "C", "A": "x y"},
	}
	for k, w := range want {
		if got := v.Params[k]; !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %#v, want %#v", k, got, w)
		}
	}
	// Every option is in the result, unset ones as nil, defaults filled.
	for _, o := range guestExecModule.Spec.Options {
		if _, ok := v.Params[o.Name]; !ok {
			t.Errorf("option %s missing from validated params", o.Name)
		}
	}
	if v.Params["cmd"] != nil || v.Params["uri"] == nil {
		t.Errorf("cmd = %v (want nil), uri = %v (want the default)", v.Params["cmd"], v.Params["uri"])
	}
}

func TestAliasAndPathExpansion(t *testing.T) {
	t.Setenv("QGA_TEST_RUN_DIR", "/run/qga")
	v, err := guestSSHKeysModule.Spec.Validate("m", jsonArgs(t, `{"agent_socket":"$QGA_TEST_RUN_DIR/a.sock","user":"u","key":"ssh-ed25519 AAAA x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := v.Params["keys"]; !reflect.DeepEqual(got, []string{"ssh-ed25519 AAAA x"}) {
		t.Errorf("keys from alias key = %#v", got)
	}
	if got := v.Params["agent_socket"]; got != "/run/qga/a.sock" {
		t.Errorf("agent_socket = %v, want the variable expanded", got)
	}
}

func TestURIDefaultsFromEnvironment(t *testing.T) {
	t.Setenv("LIBVIRT_DEFAULT_URI", "qemu+ssh://root@hv1/system")
	v, err := guestOSInfoModule.Spec.Validate("m", jsonArgs(t, `{"domain":"d"}`))
	if err != nil {
		t.Fatal(err)
	}
	if v.Params["uri"] != "qemu+ssh://root@hv1/system" || v.Params["agent_timeout"] != defaultAgentTimeout {
		t.Errorf("uri = %v, agent_timeout = %v", v.Params["uri"], v.Params["agent_timeout"])
	}
}

// Every option of every spec has a field in its module's options struct,
// and the other way round: request.decode would fail at run time otherwise.
func TestSpecsMatchOptionStructs(t *testing.T) {
	structs := map[string]any{
		"guest_exec": &execArgs{}, "guest_ssh_keys": &sshKeysArgs{},
		"guest_user_password": &userPasswordArgs{}, "guest_osinfo": &osInfoArgs{},
		"guest_interfaces": &interfacesArgs{}, "guest_copy": &copyArgs{}, "guest_fetch": &fetchArgs{},
	}
	for _, mod := range collection.Modules {
		name := mod.Name
		out, ok := structs[name]
		if !ok {
			t.Errorf("module %s has no options struct in this test", name)
			continue
		}
		params := map[string]any{}
		for _, o := range mod.Spec.Options {
			params[o.Name] = nil
		}
		if err := ansible.Decode(params, out); err != nil {
			t.Errorf("module %s: %v", name, err)
		}
	}
}
