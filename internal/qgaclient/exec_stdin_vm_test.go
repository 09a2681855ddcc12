package qgaclient_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// TestRealVMLargeStdin: input far over what one guest-exec may carry
// through libvirt (about 212 KB) reaches the command intact on both
// transports, for a shell and for a program run directly; the agent
// answers a ping afterwards, and no copy of the input stays in
// the guest. A missing program with large input fails as the shell says,
// and leaves nothing behind either.
func TestRealVMLargeStdin(t *testing.T) {
	input := bytes.Repeat([]byte("qga stdin 'quoted' $(not run) `nor this`; line\n"), 1<<20/48)
	want := fmt.Sprintf("%x  -\n", sha256.Sum256(input))
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			c := openReady(t, tc.target)
			reqs := []qgaclient.ExecRequest{
				{Path: "/bin/sh", Args: []string{"-c", "sha256sum; echo \"$1\" >&2", "sh", "arg with spaces; $(x)"}, Stdin: input},
				{Path: "/usr/bin/sha256sum", Stdin: input},
				{Path: "sha256sum", Env: []string{"PATH=/usr/bin:/bin"}, Stdin: input},
			}
			if tc.name != "libvirt" {
				reqs = reqs[:1] // the input goes inline: nothing staged to vary
			}
			for _, req := range reqs {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				start := time.Now()
				res, err := c.Run(ctx, req, 2*time.Minute)
				cancel()
				if err != nil {
					t.Fatalf("%s with %d bytes of input: %v", req.Path, len(input), err)
				}
				if string(res.Stdout) != want || res.ExitCode != 0 {
					t.Fatalf("%s: stdout %q (want %q), stderr %q, exit %d", req.Path, res.Stdout, want, res.Stderr, res.ExitCode)
				}
				if len(req.Args) > 0 && string(res.Stderr) != "arg with spaces; $(x)\n" {
					t.Errorf("arguments changed on the way: stderr %q", res.Stderr)
				}
				ping := pingWithin(t, c, pingAfterLargeExec)
				t.Logf("%s: %s, %d bytes in %s, ping after %s", tc.name, req.Path, len(input), time.Since(start).Round(time.Millisecond), ping.Round(time.Microsecond))
			}
			res, err := c.Run(ctx(t), qgaclient.ExecRequest{Path: "/nonexistent/qga-prog", Stdin: input}, time.Minute)
			switch {
			case err != nil && tc.name != "libvirt":
				t.Logf("missing program, direct: %v", err) // the agent itself refuses it
			case err != nil:
				t.Fatalf("missing program through libvirt: %v", err)
			case res.ExitCode != 127 || !strings.Contains(string(res.Stderr), "qga-prog"):
				t.Errorf("missing program: exit %d, stderr %q", res.ExitCode, res.Stderr)
			}
			noneLeft(t, c, "qga-stdin-", nil)
		})
	}
}
