package guestrules

import (
	"strings"
	"testing"
)

func TestParseFileMode(t *testing.T) {
	for in, want := range map[string]uint32{"0644": 0o644, "644": 0o644, "4755": 0o4755, "01777": 0o1777, "0o755": 0o755, "000": 0} {
		if m, err := ParseFileMode(in); err != nil || m != want {
			t.Errorf("%q: %o, %v; want %o", in, m, err, want)
		}
	}
	for in, msg := range map[string]string{
		"u=rw,g=r": "symbolic modes", "u+x": "symbolic modes", "ug+rw": "symbolic modes",
		"0999": "octal digits", "17777": "at most 07777", "64": "three or four", "": "three or four",
		"-644": "octal digits", "6 44": "octal digits", "0o": "octal digits", "000644": "three or four",
	} {
		if _, err := ParseFileMode(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%q: %v; want an error saying %q", in, err, msg)
		}
	}
	if s := FormatFileMode(0o644); s != "0644" {
		t.Errorf("FormatFileMode: %q", s)
	}
}

func TestSameAccount(t *testing.T) {
	for _, c := range []struct {
		want, name string
		id         int
		same       bool
	}{
		{"root", "root", 0, true},
		{"0", "root", 0, true},
		{"1000", "alice", 1000, true},
		{"alice", "bob", 1000, false},
		{"1001", "alice", 1000, false},
	} {
		if got := SameAccount(c.want, c.name, c.id); got != c.same {
			t.Errorf("SameAccount(%q, %q, %d) = %v", c.want, c.name, c.id, got)
		}
	}
}
