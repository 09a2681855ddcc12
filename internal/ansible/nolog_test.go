package ansible

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestRemoveSecretsLikeAnsible(t *testing.T) {
	in := map[string]any{
		"changed":  true,
		"password": "hunter22",
		"msg":      "failed for hunter22 and hunter22x",
		"rc":       json.Number("0"),
		"nested":   []any{"hunter22", map[string]any{"k": "a hunter22 b"}},
		"number":   json.Number("12345"),
	}
	got := removeSecrets(in, []string{"hunter22", "", "12345"})
	want := map[string]any{
		"changed":  true,
		"password": NoLogPlaceholder,
		"msg":      "failed for ******** and ********x",
		"rc":       json.Number("0"),
		"nested":   []any{NoLogPlaceholder, map[string]any{"k": "a ******** b"}},
		"number":   NoLogPlaceholder,
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
	if in["password"] != "hunter22" {
		t.Fatal("removeSecrets changed its input")
	}
}

func TestRemoveSecretsLongestFirst(t *testing.T) {
	got := removeSecrets("x abc\n y", []string{"abc", "abc\n"})
	if got != "x ******** y" {
		t.Fatalf("got %q", got)
	}
}

func TestSecretValuesOfSpec(t *testing.T) {
	spec := ArgSpec{Options: []Option{{Name: "stdin", Type: TypeStr, NoLogWhen: "stdin_sensitive"}, {Name: "stdin_sensitive", Type: TypeBool, Default: false}}}
	if got := spec.SecretValues(map[string]any{"stdin": "s3", "stdin_sensitive": "yes"}); !reflect.DeepEqual(got, []string{"s3"}) {
		t.Errorf("stdin_sensitive=yes: secrets %v", got)
	}
	if got := spec.SecretValues(map[string]any{"stdin": "s3", "stdin_sensitive": false}); len(got) != 0 {
		t.Errorf("stdin_sensitive=false: secrets %v", got)
	}
	// Not a valid boolean: hide rather than risk a leak.
	if got := spec.SecretValues(map[string]any{"stdin": "s3", "stdin_sensitive": "perhaps"}); len(got) != 1 {
		t.Errorf("stdin_sensitive=perhaps: secrets %v", got)
	}
	pw := ArgSpec{Options: []Option{{Name: "user", Type: TypeStr}, {Name: "password", Type: TypeStr, NoLog: true}}}
	if got := pw.SecretValues(map[string]any{"password": "pw", "user": "u"}); !reflect.DeepEqual(got, []string{"pw"}) {
		t.Errorf("password: secrets %v", got)
	}
}
