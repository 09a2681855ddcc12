package qgaclient

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPutFile(t *testing.T) {
	big := uint32(0o10000)
	for _, tc := range []struct {
		req  PutFileRequest
		want string // part of the error; "" for none
	}{
		{PutFileRequest{Path: "/etc/motd", Owner: "alice", Group: "1000"}, ""},
		{PutFileRequest{Path: "/home/u/it's $(x) `y`; z\nw"}, ""},
		{PutFileRequest{Path: "etc/motd"}, "not absolute"},
		{PutFileRequest{Path: "/etc/../etc/motd"}, "not clean"},
		{PutFileRequest{Path: "/etc/motd/"}, "not clean"},
		{PutFileRequest{Path: "/"}, "not a file"},
		{PutFileRequest{Path: "/a\x00b"}, "NUL"},
		{PutFileRequest{Path: "/a", Mode: &big}, "not a file mode"},
		{PutFileRequest{Path: "/a", Owner: "-R"}, `owner "-R"`},
		{PutFileRequest{Path: "/a", Group: "root:root"}, `group "root:root"`},
		{PutFileRequest{Path: "/a", Owner: "a b"}, `owner "a b"`},
	} {
		err := CheckPutFile(tc.req)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q: %v, want %q", tc.req.Path, err, tc.want)
		}
	}
}

func TestRefusalNamesTheDirectory(t *testing.T) {
	if got := ancestor("/home/alice/.config", 1); got != "/home/alice" {
		t.Errorf("ancestor 1: %q", got)
	}
	if got := ancestor("/home", 5); got != "/" {
		t.Errorf("ancestor past /: %q", got)
	}
	if err := refusedLine(strings.Fields("refuse owned-by-two-users 1\n"), "/home/alice/.ssh"); !errors.Is(err, ErrUnsafeDirectory) || !strings.Contains(err.Error(), `"/home/alice"`) {
		t.Errorf("refusedLine: %v", err)
	}
	for _, other := range []string{"root\n", "refuse\n", "nodir\n", ""} {
		if err := refusedLine(strings.Fields(other), "/etc"); err != nil {
			t.Errorf("refusedLine(%q): %v", other, err)
		}
	}
	if err := refusal("/srv/x", "writable-by-group-or-others"); !errors.Is(err, ErrUnsafeDirectory) || !strings.Contains(err.Error(), `"/srv/x"`) {
		t.Errorf("refusal: %v", err)
	}
}

func TestParseStat(t *testing.T) {
	info, err := parseStat("regular empty file\n0\n600\n1000\n1000\nalice\nalice\n")
	if err != nil || !info.Exists || !info.Regular() || info.Mode != 0o600 || info.Owner != "alice" || info.SHA256 != "" {
		t.Fatalf("%+v, %v", info, err)
	}
	for _, bad := range []string{"", "regular file\n1\n", "regular file\nx\n600\n0\n0\nr\nr\n", "regular file\n1\n600\n0\n0\nr\nr\nshort  -\n"} {
		if _, err := parseStat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
