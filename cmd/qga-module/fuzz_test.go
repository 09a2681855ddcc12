package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzValidateArgs feeds arbitrary JSON argument objects to every module's
// argument checks: no panic, a message for every rejection, and a no_log
// value never quoted in one.
func FuzzValidateArgs(f *testing.F) {
	for _, seed := range []string{
		`{"domain": "web1", "user": "alice", "keys": ["ssh-ed25519 AAAA x"], "state": "present"}`,
		`{"agent_socket": "/s", "argv": "a,b", "timeout": "12", "stdin": "secret-stdin", "stdin_sensitive": "yes"}`,
		`{"domain": "d", "user": "u", "password": "hunter2hunter2", "crypted": "maybe"}`,
		`{"domain": ["x"], "user": {"a": 1}, "exclusive": 3.5, "agent_timeout": "soon"}`,
		`{"cmd": null, "env": "A=1,B=2", "creates": 7, "unknown_option": true}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var raw map[string]any
		if json.Unmarshal(data, &raw) != nil || raw == nil {
			return
		}
		secret, _ := raw["password"].(string)
		for _, mod := range collection.Modules {
			name := mod.Name
			_, err := mod.Spec.Validate("qgatools.qga."+name, raw)
			if err == nil {
				continue
			}
			msg := err.Error()
			if msg == "" {
				t.Fatalf("%s: empty error for %s", name, data)
			}
			if len(secret) >= 8 && strings.Contains(msg, secret) {
				t.Fatalf("%s: the password appears in the error %q", name, msg)
			}
		}
	})
}
