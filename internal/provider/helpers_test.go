package provider

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func TestSplitImportID(t *testing.T) {
	for _, c := range []struct{ id, guest, name string }{
		{"web1/alice", "web1", "alice"},
		{"/run/qga/vm1.sock/alice", "/run/qga/vm1.sock", "alice"},
		{"2d0e7c49-1f5e-4c3b-9d0a-6f1a2b3c4d5e/root", "2d0e7c49-1f5e-4c3b-9d0a-6f1a2b3c4d5e", "root"},
	} {
		g, n, ok := splitImportID(c.id)
		if !ok || g != c.guest || n != c.name {
			t.Errorf("splitImportID(%q) = %q, %q, %v", c.id, g, n, ok)
		}
	}
	for _, bad := range []string{"alice", "web1/", "/alice", ""} {
		if _, _, ok := splitImportID(bad); ok {
			t.Errorf("splitImportID(%q) accepted", bad)
		}
	}
}

func TestAuthorizedKeysValidator(t *testing.T) {
	check := func(keys ...string) string {
		set, _ := types.SetValueFrom(context.Background(), types.StringType, keys)
		var resp validator.SetResponse
		authorizedKeysValidator{}.ValidateSet(context.Background(), validator.SetRequest{Path: path.Root("keys"), ConfigValue: set}, &resp)
		var msgs []string
		for _, d := range resp.Diagnostics {
			msgs = append(msgs, d.Detail())
		}
		return strings.Join(msgs, "; ")
	}
	if msg := check(testKey1, testKey2); msg != "" {
		t.Errorf("valid keys rejected: %s", msg)
	}
	if msg := check("ssh-rsa AAAA-not-base64"); !strings.Contains(msg, "not an OpenSSH public key") {
		t.Errorf("bad key: %q", msg)
	}
	if msg := check(testKey1 + "\n" + testKey2); !strings.Contains(msg, "not an OpenSSH public key") {
		t.Errorf("two keys in one element: %q", msg)
	}
	if msg := check(testKey1, strings.Replace(testKey1, "tf-key-1", "again", 1)); !strings.Contains(msg, "listed twice") {
		t.Errorf("duplicate: %q", msg)
	}
}

func TestOutputValueAndTail(t *testing.T) {
	v, cut := outputValue([]byte("abc\xffdef"), 100)
	if cut || v.ValueString() != "abc\uFFFDdef" {
		t.Errorf("outputValue = %q, %v", v.ValueString(), cut)
	}
	v, cut = outputValue([]byte("0123456789"), 4)
	if !cut || v.ValueString() != "0123" {
		t.Errorf("outputValue = %q, %v", v.ValueString(), cut)
	}
	if got := tail([]byte("1\n2\n3\n4\n"), 2, 100); got != "3\n4" {
		t.Errorf("tail = %q", got)
	}
	if got := tail(nil, 2, 100); got != "(empty)" {
		t.Errorf("tail = %q", got)
	}
}
