package qgaclient

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestRedactURI(t *testing.T) {
	for in, want := range map[string]string{
		"qemu:///system":                           "qemu:///system",
		"qemu+ssh://root@host/system":              "qemu+ssh://root@host/system",
		"qemu+libssh://root:PW@host/system":        "qemu+libssh://root:xxxxx@host/system",
		"qemu+libssh://root:PW@host:2222/system?x": "qemu+libssh://root:xxxxx@host:2222/system?x",
		"qemu+tcp://host:16509/system":             "qemu+tcp://host:16509/system",
		// url.Parse rejects these; the password is hidden all the same.
		"qemu+libssh://root:p%zz@host/system":    "qemu+libssh://root:xxxxx@host/system",
		"qemu+libssh://root:a/b?c#d@host/system": "qemu+libssh://root:xxxxx@host/system",
		"qemu+libssh://root:a b@host/system":     "qemu+libssh://root:xxxxx@host/system",
		"root:PW@host/system":                    "root:xxxxx@host/system",
		"qemu+libssh://u:p@w@host/system":        "qemu+libssh://u:xxxxx@host/system",
		// Query values: the known, harmless ones stay; the others go.
		"qemu+ssh://h/system?keyfile=/k&no_verify=1&socket=/s": "qemu+ssh://h/system?keyfile=/k&no_verify=1&socket=/s",
		"qemu+tls://h/system?pkipath=/p&token=T0k&passphrase=": "qemu+tls://h/system?pkipath=/p&token=xxxxx&passphrase=",
		"qemu+ssh://h/system?%zz=v":                            "qemu+ssh://h/system?%zz=xxxxx",
		"qemu+ssh://h/system?name=qemu%2Blibssh%3A%2F%2Fu%3AS%40h%2Fsystem": "qemu+ssh://h/system?name=" +
			url.QueryEscape("qemu+libssh://u:xxxxx@h/system"),
		"qemu:///system#frag": "qemu:///system#xxxxx",
		// An '@' in a query value is no user information.
		"qemu+ssh://h:22/system?keyfile=/home/a@b/k": "qemu+ssh://h:22/system?keyfile=/home/a@b/k",
	} {
		if got := RedactURI(in); got != want {
			t.Errorf("RedactURI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestURISecrets(t *testing.T) {
	for in, want := range map[string][]string{
		"qemu:///system?socket=/s":                          nil,
		"qemu+libssh://root:P%21W@host/system":              {"P%21W", "P!W"},
		"qemu+libssh://root:a/b@host/system?token=t%2Bk&x=": {"t%2Bk", "a/b", "t+k"},
	} {
		got := uriSecrets(in)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("uriSecrets(%q) = %q, want %q", in, got, want)
		}
	}
	err := scrubError(errFromText("auth failed for root:P!W and P%21W"), "qemu+libssh://root:P%21W@h/system")
	if strings.Contains(err.Error(), "P!W") || strings.Contains(err.Error(), "P%21W") {
		t.Errorf("scrubbed error still holds the password: %v", err)
	}
}

type errFromText string

func (e errFromText) Error() string { return string(e) }
