package main

import (
	"reflect"
	"slices"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

const (
	keyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfJ3TWEeJMRWHAwGjcoZeLDxQ6Y0WP6XRazc4hTrzPS a@test"
	keyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIETgbeIQMVQJBbqEfceLNw5OwH5EsLN700filpo63Nnw b@test"
	keyC = `from="10.0.0.1,10.0.0.2" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxhNlezWQ5JASe+NKlbuSFIhlmbpPn81e54f0nlG9h3 c@test`
)

func TestPlanSSHKeys(t *testing.T) {
	cases := []struct {
		name           string
		current, keys  []string
		state          string
		exclusive      bool
		after          []string
		added, removed []string
	}{
		{"add missing", []string{keyA}, []string{keyB, keyA}, "present", false, []string{keyA, keyB}, []string{keyB}, []string{}},
		{"nothing to add", []string{keyA, keyB}, []string{keyB}, "present", false, []string{keyA, keyB}, []string{}, []string{}},
		{"exclusive replaces", []string{keyA, keyB}, []string{keyC}, "present", true, []string{keyC}, []string{keyC}, []string{keyA, keyB}},
		{"exclusive same", []string{keyA}, []string{keyA}, "present", true, []string{keyA}, []string{}, []string{}},
		// qemu-ga lists keys in an order of its own: order is no change.
		{"exclusive reordered", []string{keyB, keyA}, []string{keyA, keyB}, "present", true, []string{keyB, keyA}, []string{}, []string{}},
		{"exclusive empty", []string{keyA}, []string{}, "present", true, []string{}, []string{}, []string{keyA}},
		{"absent", []string{keyA, keyB}, []string{keyB, keyC}, "absent", false, []string{keyA}, []string{}, []string{keyB}},
		{"absent none there", []string{}, []string{keyA}, "absent", false, []string{}, []string{}, []string{}},
		// The same key with another comment is the same key.
		{"other comment present", []string{keyA + "-old"}, []string{keyA}, "present", false, []string{keyA + "-old"}, []string{}, []string{}},
		{"other comment exclusive", []string{keyA + "-old", keyB}, []string{keyA}, "present", true, []string{keyA + "-old"}, []string{}, []string{keyB}},
		{"other comment absent", []string{keyA + "-old", keyB}, []string{keyA}, "absent", false, []string{keyB}, []string{}, []string{keyA + "-old"}},
	}
	for _, c := range cases {
		p := guestrules.PlanKeys(c.current, keysRequest(c.keys, c.state, c.exclusive))
		wantChanged := len(c.added)+len(c.removed) > 0
		if !reflect.DeepEqual(p.After, c.after) || !reflect.DeepEqual(p.Add, c.added) || !reflect.DeepEqual(p.Remove, c.removed) || p.Changed() != wantChanged {
			t.Errorf("%s: after %q added %q removed %q", c.name, p.After, p.Add, p.Remove)
		}
	}
}

func TestNormalizeKeys(t *testing.T) {
	got := normalizeKeys([]string{"  " + keyA + "  ", "# a comment\n" + keyB + "\n\n" + keyA + "\n", keyC})
	if want := []string{keyA, keyB, keyC}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
}

func sshKeysTask(a *fakeAgent, options map[string]any) map[string]any {
	o := map[string]any{"agent_socket": a.socket, "user": "alice", "agent_timeout": 5}
	for k, v := range options {
		o[k] = v
	}
	return task("guest_ssh_keys", o)
}

func TestSSHKeysIdempotentWithCheckAndDiff(t *testing.T) {
	a := newFakeAgent(t)
	a.AddUser("alice") // exists, no authorized_keys yet

	// Check mode reports the change and makes none.
	args := sshKeysTask(a, map[string]any{"keys": []any{keyA, keyC}, "_ansible_check_mode": true, "_ansible_diff": true})
	out := runTask(t, "AnsiballZ_guest_ssh_keys", args).mustSucceed(t)
	if !out.changed() || a.userKeys("alice") != nil || a.callCount("guest-ssh-add-authorized-keys") != 0 {
		t.Fatalf("check mode: changed=%v keys now %q: %s", out.changed(), a.userKeys("alice"), out.Raw)
	}
	diff, _ := out.Result["diff"].(map[string]any)
	// The diff lists keys sorted, so that the agent's order makes no noise.
	if diff["before"] != "" || diff["after"] != keyC+"\n"+keyA+"\n" || diff["before_header"] == nil {
		t.Fatalf("diff = %v", diff)
	}

	// The real run adds them; a key holding commas stays whole.
	args = sshKeysTask(a, map[string]any{"keys": keyA + "\n" + keyC})
	out = runTask(t, "AnsiballZ_guest_ssh_keys", args).mustSucceed(t)
	if !out.changed() || !slices.Equal(a.userKeys("alice"), []string{keyA, keyC}) {
		t.Fatalf("first run: keys now %q: %s", a.userKeys("alice"), out.Raw)
	}
	if _, ok := out.Result["diff"]; ok {
		t.Errorf("diff returned without --diff: %s", out.Raw)
	}

	// The second run changes nothing.
	adds := a.callCount("guest-ssh-add-authorized-keys")
	out = runTask(t, "AnsiballZ_guest_ssh_keys", args).mustSucceed(t)
	if out.changed() || a.callCount("guest-ssh-add-authorized-keys") != adds {
		t.Fatalf("second run changed: %s", out.Raw)
	}

	// exclusive removes the others; absent removes the given.
	out = runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"keys": []any{keyB}, "exclusive": "yes"})).mustSucceed(t)
	if !out.changed() || !slices.Equal(a.userKeys("alice"), []string{keyB}) {
		t.Fatalf("exclusive: keys now %q: %s", a.userKeys("alice"), out.Raw)
	}
	if got := slices.Sorted(slices.Values(stringList(t, out.Result["removed"]))); !slices.Equal(got, []string{keyC, keyA}) {
		t.Errorf("removed = %q", got)
	}
	out = runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"keys": []any{keyB}, "state": "absent"})).mustSucceed(t)
	if !out.changed() || len(a.userKeys("alice")) != 0 {
		t.Fatalf("absent: keys now %q: %s", a.userKeys("alice"), out.Raw)
	}
}

func TestSSHKeysFailures(t *testing.T) {
	a := newFakeAgent(t)
	runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"user": "nobody", "keys": []any{keyA}})).
		mustFail(t, `user "nobody"`)
	runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"keys": []any{keyA}, "state": "absent", "exclusive": true})).
		mustFail(t, "exclusive=true applies to state=present only")
	runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"user": "", "keys": []any{keyA}})).
		mustFail(t, "user must name a guest user")
	runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"keys": []any{"ssh-ed25519 AAAA-not-a-key"}})).
		mustFail(t, "is not an OpenSSH public key")
	runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"keys": []any{keyA, keyA + "-again"}})).
		mustFail(t, "the same key is listed twice")
	a.Disable("guest-ssh-add-authorized-keys")
	a.SetAuthorizedKeys("alice")
	runTask(t, "AnsiballZ_guest_ssh_keys", sshKeysTask(a, map[string]any{"keys": []any{keyA}})).
		mustFail(t, "command is disabled in the guest agent")
}
