package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The parity tests feed the same cases through both front ends, the
// provider (through its protocol server, as Terraform drives it) and the
// modules (through the binary's entry point, as Ansible runs them), both
// against the fake agent, and check that they decide the same: error or
// not, changed or not. The rules themselves live in internal/guestrules.

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func TestParitySSHKeys(t *testing.T) {
	const keyA2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfJ3TWEeJMRWHAwGjcoZeLDxQ6Y0WP6XRazc4hTrzPS renamed"
	cases := []struct {
		name      string
		file      []string // the guest's authorized_keys
		keys      []string // what the configuration / task asks for
		exclusive bool
		invalid   bool // refused before anything is done
		changed   bool
	}{
		{"present", []string{keyA, keyB}, []string{keyA}, false, false, false},
		{"missing", []string{keyB}, []string{keyA}, false, false, true},
		{"other comment", []string{keyA2}, []string{keyA}, false, false, false},
		{"other comment exclusive", []string{keyA2}, []string{keyA}, true, false, false},
		{"options are not identity", []string{keyC}, []string{strings.TrimPrefix(keyC, `from="10.0.0.1,10.0.0.2" `)}, false, false, false},
		{"others stay", []string{keyA, keyB, keyC}, []string{keyA}, false, false, false},
		{"exclusive removes others", []string{keyA, keyB}, []string{keyA}, true, false, true},
		{"exclusive reordered", []string{keyB, keyA}, []string{keyA, keyB}, true, false, false},
		{"malformed key", []string{}, []string{"ssh-ed25519 AAAA-not-a-key x"}, false, true, false},
		{"not a key at all", []string{}, []string{"hello world"}, false, true, false},
		{"one key twice", []string{}, []string{keyA, keyA2}, false, true, false},
	}
	tf := newTFProvider(t)
	const typeName = "qga_guest_ssh_keys"
	setType := tftypes.Set{ElementType: tftypes.String}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Ansible, in check mode: the decision without the change.
			a := newFakeAgent(t)
			a.setKeys("alice", c.file)
			keys := make([]any, len(c.keys))
			for i, k := range c.keys {
				keys[i] = k
			}
			out := runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"keys": keys, "exclusive": c.exclusive, "_ansible_check_mode": true}))
			ansibleInvalid, ansibleChanged := out.failed(), out.changed()

			// Terraform: validate, then refresh an existing resource that
			// lists these keys; a refreshed state other than the
			// configuration is a planned change.
			b := newFakeAgent(t)
			b.setKeys("alice", c.file)
			config := tf.object(typeName, map[string]tftypes.Value{
				"agent_socket": tfString(b.socket), "username": tfString("alice"),
				"keys": tfStrings(setType, c.keys), "exclusive": tfBool(c.exclusive),
			})
			tfInvalid, tfChanged := tf.validate(typeName, config) != nil, false
			if !tfInvalid {
				state := tf.object(typeName, map[string]tftypes.Value{
					"agent_socket": tfString(b.socket), "username": tfString("alice"), "id": tfString(b.socket + "/alice"),
					"keys": tfStrings(setType, c.keys), "exclusive": tfBool(c.exclusive),
				})
				refreshed, err := tf.read(typeName, state)
				if err != nil {
					t.Fatal(err)
				}
				tfChanged = !sameSet(tfStringSet(t, attr(t, refreshed, "keys")), c.keys)
			}

			if ansibleInvalid != c.invalid || tfInvalid != c.invalid {
				t.Errorf("refused: Ansible %v (%s), Terraform %v; want %v", ansibleInvalid, out.msg(), tfInvalid, c.invalid)
			}
			if !c.invalid && (ansibleChanged != c.changed || tfChanged != c.changed) {
				t.Errorf("changed: Ansible %v, Terraform %v; want %v", ansibleChanged, tfChanged, c.changed)
			}
		})
	}
}

func TestParityCryptHash(t *testing.T) {
	tf := newTFProvider(t)
	for i, c := range []struct {
		value string
		ok    bool
	}{
		{testHash, true},
		{"$y$j9T$abcdefghijklmnop$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", true},
		{"!" + testHash, true}, // locked
		{"$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234", true},
		{"abcdefghijklm", false}, // DES, or a 13-character password
		{"plain password", false},
		{"$6$onlysalt", false},
		{"hunter2", false},
	} {
		// Named by number: a "$" in the socket path would be expanded.
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			a := newFakeAgent(t)
			a.SetFile(shadowPath, []byte("alice:"+testHash+":19000:0:99999:7:::\n"))
			out := runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": c.value, "crypted": true, "_ansible_check_mode": true}))
			err := tf.validate("qga_guest_user_password", tf.object("qga_guest_user_password", map[string]tftypes.Value{
				"agent_socket": tfString(a.socket), "username": tfString("alice"), "password": tfString(c.value), "crypted": tfBool(true),
			}))
			if out.failed() == c.ok || (err == nil) != c.ok {
				t.Errorf("%q accepted: Ansible %v (%s), Terraform %v (%v); want %v", c.value, !out.failed(), out.msg(), err == nil, err, c.ok)
			}
		})
	}
}

func TestParityExec(t *testing.T) {
	tf := newTFProvider(t)
	for _, c := range []struct {
		name   string
		exit   fakeExit
		failed bool
		words  string // in both errors
	}{
		{"success", fakeExit{Stdout: "ok\n"}, false, ""},
		{"exit code", fakeExit{Code: 3}, true, ""},
		{"signal", fakeExit{Signal: 9}, true, ""},
		{"timeout", fakeExit{Running: true}, true, "did not finish within its timeout of 1s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			agent := func() *fakeAgent {
				a := newFakeAgent(t)
				a.exec = func(path string, args, _ []string, _ []byte) fakeExit {
					if path == "/bin/sh" && len(args) == 4 && strings.Contains(args[1], "kill -KILL") {
						a.Exit(101, fakeExit{Signal: 9}.result()) // killed
						return fakeExit{Stdout: "killed 101\n"}
					}
					return c.exit
				}
				return a
			}
			a := agent()
			out := runTask(t, "AnsiballZ_guest_exec", execTask(a, map[string]any{"argv": []any{"/usr/bin/prog"}, "timeout": 1}))
			b := agent()
			_, err := tf.create("qga_guest_exec", tf.object("qga_guest_exec", map[string]tftypes.Value{
				"agent_socket": tfString(b.socket), "path": tfString("/usr/bin/prog"), "timeout": tfString("1s"),
			}))
			if out.failed() != c.failed || (err != nil) != c.failed {
				t.Fatalf("failed: Ansible %v (%s), Terraform %v; want %v", out.failed(), out.msg(), err, c.failed)
			}
			if c.words != "" && (!strings.Contains(out.msg(), c.words) || !strings.Contains(fmt.Sprint(err), c.words)) {
				t.Errorf("Ansible %q and Terraform %q should both say %q", out.msg(), err, c.words)
			}
		})
	}
}

func TestParityAddresses(t *testing.T) {
	tf := newTFProvider(t)
	const typeName = "qga_guest_interfaces"
	list := tftypes.List{ElementType: tftypes.String}
	for _, c := range []struct {
		name    string
		ansible map[string]any
		tf      map[string]tftypes.Value
		fails   bool
	}{
		{"defaults", nil, nil, false},
		{"scopes", map[string]any{"scope": []any{"site_local", "link_local"}}, map[string]tftypes.Value{"scope": tfStrings(list, []string{"site_local", "link_local"})}, false},
		{"family", map[string]any{"address_family": "ipv6"}, map[string]tftypes.Value{"address_family": tfString("ipv6")}, false},
		{"no exclusions", map[string]any{"exclude_interface_names": []any{}}, map[string]tftypes.Value{"exclude_interface_names": tfStrings(list, []string{})}, false},
		{"own exclusions", map[string]any{"exclude_interface_names": []any{"eth*"}}, map[string]tftypes.Value{"exclude_interface_names": tfStrings(list, []string{"eth*"})}, false},
		{"names", map[string]any{"interface_names": []any{"ens*"}}, map[string]tftypes.Value{"interface_names": tfStrings(list, []string{"ens*"})}, false},
		{"mac", map[string]any{"hardware_address": "52:54:00:12:34:56"}, map[string]tftypes.Value{"hardware_address": tfString("52:54:00:12:34:56")}, false},
		{"cidr", map[string]any{"cidr": []any{"2001:db8::/32"}}, map[string]tftypes.Value{"cidr": tfStrings(list, []string{"2001:db8::/32"})}, false},
		{"bad mac", map[string]any{"hardware_address": "52:54"}, map[string]tftypes.Value{"hardware_address": tfString("52:54")}, true},
		{"bad scope", map[string]any{"scope": []any{"universe"}}, map[string]tftypes.Value{"scope": tfStrings(list, []string{"universe"})}, true},
		{"bad glob", map[string]any{"interface_names": []any{"eth["}}, map[string]tftypes.Value{"interface_names": tfStrings(list, []string{"eth["})}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := newFakeAgent(t)
			a.setInterfaces(t, testbedLikeInterfaces)
			out := runTask(t, "AnsiballZ_guest_interfaces", interfacesTask(a, c.ansible))
			attrs := map[string]tftypes.Value{"agent_socket": tfString(a.socket)}
			for k, v := range c.tf {
				attrs[k] = v
			}
			state, err := tf.readData(typeName, tf.dataObject(typeName, attrs))
			if out.failed() != c.fails || (err != nil) != c.fails {
				t.Fatalf("failed: Ansible %v (%s), Terraform %v; want %v", out.failed(), out.msg(), err, c.fails)
			}
			if c.fails {
				return
			}
			facts, _ := out.Result["ansible_facts"].(map[string]any)
			tfAddrs := tfList(t, attr(t, state, "addresses"))
			var ipv4, ipv6 string
			_ = attr(t, state, "ipv4_address").As(&ipv4)
			_ = attr(t, state, "ipv6_address").As(&ipv6)
			if got := stringList(t, facts["qga_addresses"]); !slices.Equal(got, tfAddrs) || facts["qga_ipv4_address"] != ipv4 || facts["qga_ipv6_address"] != ipv6 {
				t.Errorf("Ansible %q %v %v, Terraform %q %q %q", got, facts["qga_ipv4_address"], facts["qga_ipv6_address"], tfAddrs, ipv4, ipv6)
			}
		})
	}
}

func TestParityFileMode(t *testing.T) {
	tf := newTFProvider(t)
	a := newLocalGuest(t) // check mode looks at the (local) file
	dest := filepath.Join(t.TempDir(), "motd")
	for _, c := range []struct {
		mode string
		ok   bool
	}{
		{"0644", true}, {"644", true}, {"4755", true}, {"01777", true}, {"0o755", true},
		{"u=rw", false}, {"0999", false}, {"64", false}, {"17777", false}, {"", false},
	} {
		t.Run(c.mode, func(t *testing.T) {
			out := runTask(t, "AnsiballZ_guest_copy", copyTask(a, map[string]any{"content": "x", "dest": dest, "mode": c.mode, "_ansible_check_mode": true}))
			err := tf.validate("qga_guest_file", tf.object("qga_guest_file", map[string]tftypes.Value{
				"agent_socket": tfString(a.socket), "path": tfString(dest), "content": tfString("x"), "mode": tfString(c.mode),
			}))
			if out.failed() == c.ok || (err == nil) != c.ok {
				t.Errorf("mode %q accepted: Ansible %v (%s), Terraform %v (%v); want %v", c.mode, !out.failed(), out.msg(), err == nil, err, c.ok)
			}
		})
	}
}
