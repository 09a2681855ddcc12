package guestrules

import (
	"reflect"
	"strings"
	"testing"
)

const (
	keyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfJ3TWEeJMRWHAwGjcoZeLDxQ6Y0WP6XRazc4hTrzPS a@test"
	keyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIETgbeIQMVQJBbqEfceLNw5OwH5EsLN700filpo63Nnw b@test"
	keyC = `from="10.0.0.1,10.0.0.2" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBxhNlezWQ5JASe+NKlbuSFIhlmbpPn81e54f0nlG9h3 c@test`
	// keyA2 is keyA with another comment.
	keyA2 = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJfJ3TWEeJMRWHAwGjcoZeLDxQ6Y0WP6XRazc4hTrzPS renamed"
)

func TestKeyIdentityIgnoresCommentAndOptions(t *testing.T) {
	a, errA := KeyID(keyA)
	a2, errA2 := KeyID(keyA2)
	c, errC := KeyID(keyC)
	if errA != nil || errA2 != nil || errC != nil || a != a2 || a == c {
		t.Fatalf("ids: %q %q %q (%v %v %v)", a, a2, c, errA, errA2, errC)
	}
	if !ContainsKey([]string{keyA2}, keyA) || ContainsKey([]string{keyB}, keyA) {
		t.Error("ContainsKey compares identities")
	}
	if !ContainsKey([]string{"garbage"}, "garbage") || ContainsKey([]string{"garbage"}, "garbage2") {
		t.Error("lines that are no keys match exactly")
	}
}

func TestCheckKeys(t *testing.T) {
	if p := CheckKeys([]string{keyA, keyB, keyC}); len(p) != 0 {
		t.Errorf("valid keys refused: %v", p)
	}
	for _, bad := range []string{"ssh-rsa AAAA-not-base64", keyA + "\n" + keyB, "", "hello"} {
		p := CheckKeys([]string{bad})
		if len(p) != 1 || p[0].Duplicate || !strings.Contains(p[0].Error(), "not an OpenSSH public key") {
			t.Errorf("%q: %v", bad, p)
		}
	}
	p := CheckKeys([]string{keyA, keyA2})
	if len(p) != 1 || !p[0].Duplicate || !strings.Contains(p[0].Error(), "listed twice") {
		t.Errorf("duplicate: %v", p)
	}
	if p := CheckKeys([]string{keyA, keyA}); len(p) != 0 {
		t.Errorf("identical lines are no problem: %v", p)
	}
}

func TestPlanKeys(t *testing.T) {
	cases := []struct {
		name            string
		current         []string
		req             KeysRequest
		after, add, rem []string
	}{
		{"add missing", []string{keyA}, KeysRequest{Want: []string{keyB, keyA}}, []string{keyA, keyB}, []string{keyB}, []string{}},
		{"other comment is there", []string{keyA2}, KeysRequest{Want: []string{keyA}}, []string{keyA2}, []string{}, []string{}},
		{"others stay", []string{keyA, keyB}, KeysRequest{Want: []string{keyC}}, []string{keyA, keyB, keyC}, []string{keyC}, []string{}},
		{"drop only what is asked", []string{keyA2, keyB}, KeysRequest{Want: []string{keyC}, Drop: []string{keyA}}, []string{keyB, keyC}, []string{keyC}, []string{keyA2}},
		{"want wins over drop", []string{keyA}, KeysRequest{Want: []string{keyA}, Drop: []string{keyA2}}, []string{keyA}, []string{}, []string{}},
		{"exclusive", []string{keyA2, keyB}, KeysRequest{Want: []string{keyA, keyC}, Exclusive: true}, []string{keyA2, keyC}, []string{keyC}, []string{keyB}},
		{"exclusive nothing", []string{keyA}, KeysRequest{Exclusive: true}, []string{}, []string{}, []string{keyA}},
		{"drop absent key", []string{keyB}, KeysRequest{Drop: []string{keyA}}, []string{keyB}, []string{}, []string{}},
		{"no file", nil, KeysRequest{Want: []string{keyA}}, []string{keyA}, []string{keyA}, []string{}},
	}
	for _, c := range cases {
		p := PlanKeys(c.current, c.req)
		if !reflect.DeepEqual(p.After, c.after) || !reflect.DeepEqual(p.Add, c.add) || !reflect.DeepEqual(p.Remove, c.rem) {
			t.Errorf("%s: after %q add %q remove %q", c.name, p.After, p.Add, p.Remove)
		}
		if p.Changed() != (len(c.add)+len(c.rem) > 0) {
			t.Errorf("%s: changed = %v", c.name, p.Changed())
		}
	}
}

func TestKeysOnRecord(t *testing.T) {
	current := []string{keyA2, keyB}
	if got := KeysOnRecord(current, []string{keyA}, true); !reflect.DeepEqual(got, []string{keyA, keyB}) {
		t.Errorf("whole file, spelled as listed: %q", got)
	}
	if got := KeysOnRecord(current, []string{keyA, keyC}, false); !reflect.DeepEqual(got, []string{keyA}) {
		t.Errorf("listed keys present: %q", got)
	}
	if got := KeysOnRecord([]string{keyA, keyA2}, []string{keyA}, true); !reflect.DeepEqual(got, []string{keyA}) {
		t.Errorf("two spellings in the file show once: %q", got)
	}
}
