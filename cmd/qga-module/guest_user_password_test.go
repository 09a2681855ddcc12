package main

import (
	"strings"
	"testing"
)

const testHash = "$6$saltsalt$Ti18C./jVtAHCgXyZK3DSkoWryvOnHY1ZCHx9dkTHYoNlC9dwk2aLg2JP2gX4XqbwclerYxwuZ1pkNRI4Dh4f."

func passwordTask(a *fakeAgent, options map[string]any) map[string]any {
	o := map[string]any{"agent_socket": a.socket, "user": "alice", "agent_timeout": 5}
	for k, v := range options {
		o[k] = v
	}
	return task("guest_user_password", o)
}

func TestCryptedPasswordComparedWithShadow(t *testing.T) {
	a := newFakeAgent(t)
	a.SetFile(shadowPath, []byte("root:*:19000:0:99999:7:::\nalice:$6$old$xyz:19000:0:99999:7:::\n"))

	// Different hash: changed; check mode sets nothing.
	out := runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": testHash, "crypted": true, "_ansible_check_mode": true})).mustSucceed(t)
	if !out.changed() || out.Result["hash_compared"] != true || a.callCount("guest-set-user-password") != 0 {
		t.Fatalf("check mode: %s", out.Raw)
	}
	out = runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": testHash, "crypted": true})).mustSucceed(t)
	if !out.changed() || a.callCount("guest-set-user-password") != 1 {
		t.Fatalf("different hash: %s", out.Raw)
	}

	// Same hash: no change, nothing set.
	a.SetFile(shadowPath, []byte("alice:"+testHash+":19000:0:99999:7:::\n"))
	out = runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": testHash, "crypted": "true"})).mustSucceed(t)
	if out.changed() || a.callCount("guest-set-user-password") != 1 {
		t.Fatalf("same hash: %s", out.Raw)
	}
	if strings.Contains(out.Raw, testHash) || strings.Contains(out.Raw, "$6$old") {
		t.Fatalf("a hash leaked: %s", out.Raw)
	}

	runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"user": "bob", "password": testHash, "crypted": true})).
		mustFail(t, `user "bob" does not exist in the guest`)
}

func TestPlainPasswordAlwaysChanged(t *testing.T) {
	a := newFakeAgent(t)
	for i := 1; i <= 2; i++ {
		out := runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": "plain-pw"})).mustSucceed(t)
		if !out.changed() || out.Result["hash_compared"] != false || a.callCount("guest-set-user-password") != i {
			t.Fatalf("run %d: %s", i, out.Raw)
		}
		if strings.Contains(out.Raw, "plain-pw") {
			t.Fatalf("password leaked: %s", out.Raw)
		}
	}
	// Check mode: reported as a change, not made.
	out := runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": "plain-pw", "_ansible_check_mode": true})).mustSucceed(t)
	if !out.changed() || a.callCount("guest-set-user-password") != 2 {
		t.Fatalf("check mode: %s", out.Raw)
	}
}

func TestUnreadableShadowWarnsAndSets(t *testing.T) {
	a := newFakeAgent(t)
	a.Disable("guest-file-open")
	out := runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": testHash, "crypted": true})).mustSucceed(t)
	warnings, _ := out.Result["warnings"].([]any)
	if !out.changed() || len(warnings) != 1 || a.callCount("guest-set-user-password") != 1 {
		t.Fatalf("%s", out.Raw)
	}
}

func TestPasswordRefusals(t *testing.T) {
	a := newFakeAgent(t)
	runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": "not-a-hash", "crypted": true})).
		mustFail(t, "password with crypted=true: the crypted password is not a crypt(3) hash")
	runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": ""})).
		mustFail(t, "password must not be empty")
	a.Disable("guest-set-user-password")
	runTask(t, "AnsiballZ_guest_user_password", passwordTask(a, map[string]any{"password": "pw", "_ansible_check_mode": true})).
		mustFail(t, "command is disabled")
}
