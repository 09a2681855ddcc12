package connhelper

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestServeLargeStdinAgainstTestBed: a pipelined module's input (here
// 300 KB, over what one guest-exec may carry through libvirt) reaches the
// command intact through the helper, and the agent still answers the next
// request. Needs the test bed (testbed/up.sh and its env).
func TestServeLargeStdinAgainstTestBed(t *testing.T) {
	uri, domain := os.Getenv("QGA_TEST_URI"), os.Getenv("QGA_TEST_DOMAIN")
	if testing.Short() || uri == "" || domain == "" {
		t.Skip("needs the test bed: set -a; . ~/.cache/qga-tools/testbed/run/env; set +a")
	}
	stdin := bytes.Repeat([]byte("print('module body; $(x) `y` \\'z\\'')\n"), 300_000/40)
	line := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	resps, _ := serveLines(t,
		line(Request{Op: "open", URI: uri, Domain: domain, AgentTimeout: 120}),
		line(Request{Op: "exec", Shell: "sha256sum", Stdin: stdin, Timeout: 120}),
		line(Request{Op: "exec", Argv: []string{"/bin/echo", "still here"}, Timeout: 60}),
		line(Request{Op: "close"}),
	)
	if len(resps) != 4 {
		t.Fatalf("%d responses: %+v", len(resps), resps)
	}
	want := fmt.Sprintf("%x  -\n", sha256.Sum256(stdin))
	if r := resps[1]; !r.OK || string(r.Stdout) != want || r.RC == nil || *r.RC != 0 {
		t.Fatalf("exec with %d bytes of stdin: %+v (stdout %q, want %q)", len(stdin), r, r.Stdout, want)
	}
	if r := resps[2]; !r.OK || strings.TrimSpace(string(r.Stdout)) != "still here" {
		t.Fatalf("the next exec: %+v", r)
	}
}
