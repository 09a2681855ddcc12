package qgaclient_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// largeOutput is a deterministic generator of n bytes (lines of "y" and
// the line number's parity never changes), and the guest's own sha256 of
// them, so the test checks bytes it never had to send.
func largeOutput(n int) (script string, want []byte) {
	want = bytes.Repeat([]byte("qga-big-output\n"), n/15+1)[:n]
	return fmt.Sprintf("yes qga-big-output | head -c %d", n), want
}

// pingWithin checks the agent answers within d after a large exec: libvirt
// did not give up on it, and it is not stuck writing a reply.
func pingWithin(t *testing.T, c *qgaclient.Client, d time.Duration) time.Duration {
	t.Helper()
	pctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	if err := c.Ping(pctx); err != nil {
		t.Fatalf("the agent does not answer within %s after the exec: %v", d, err)
	}
	return time.Since(start)
}

// TestRealVMLargeOutput: output up to the agent's 16 MiB per stream reaches
// the caller intact through both transports, more is cut at 16 MiB with the
// flag set, and the agent answers a ping within 5 s afterwards (through
// libvirt this used to break the domain's agent until libvirtd restarted).
func TestRealVMLargeOutput(t *testing.T) {
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			c := openReady(t, tc.target)
			for _, n := range []int{12_000_000, 16 << 20, 20_000_000} {
				t.Run(strconv.Itoa(n), func(t *testing.T) {
					script, want := largeOutput(n)
					truncated := n > 16<<20
					if truncated {
						want = want[:16<<20]
					}
					ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
					defer cancel()
					start := time.Now()
					res, err := c.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", script + "; echo done >&2"}})
					took := time.Since(start)
					if err != nil {
						t.Fatalf("%d bytes of output: %v", n, err)
					}
					if !bytes.Equal(res.Stdout, want) || res.StdoutTruncated != truncated {
						t.Fatalf("%d bytes asked: got %d (sha256 %x), truncated=%v; want %d (sha256 %x), truncated=%v",
							n, len(res.Stdout), sha256.Sum256(res.Stdout), res.StdoutTruncated, len(want), sha256.Sum256(want), truncated)
					}
					if string(res.Stderr) != "done\n" || res.StderrTruncated || res.ExitCode != 0 || res.Signal != 0 {
						t.Fatalf("stderr %q, truncated=%v, exit %d, signal %d", res.Stderr, res.StderrTruncated, res.ExitCode, res.Signal)
					}
					ping := pingWithin(t, c, 5*time.Second)
					t.Logf("%s: %d bytes in %s, ping after %s", tc.name, n, took.Round(time.Millisecond), ping.Round(time.Microsecond))
				})
			}
			// Both streams large, and a checksum computed in the guest.
			res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c",
				"yes out | head -c 5000000; yes err | head -c 4000000 >&2; yes out | head -c 5000000 | sha256sum >&2; exit 7"}})
			if err != nil {
				t.Fatal(err)
			}
			outSum := fmt.Sprintf("%x", sha256.Sum256(res.Stdout[:5000000]))
			if len(res.Stdout) != 5000000 || !strings.HasSuffix(string(res.Stderr), outSum+"  -\n") || len(res.Stderr) != 4000000+len(outSum)+4 || res.ExitCode != 7 {
				t.Fatalf("two large streams: %d bytes out, %d err (tail %q), exit %d", len(res.Stdout), len(res.Stderr), tail(res.Stderr), res.ExitCode)
			}
			pingWithin(t, c, 5*time.Second)
		})
	}
}

// spoolPrefixes lists the exec spool files in the guest's /tmp, each with
// its FIFO (name.p) counted once.
func spoolPrefixes(t *testing.T, c *qgaclient.Client) []string {
	t.Helper()
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "ls -d /tmp/qga-exec-* 2>/dev/null; true"}})
	if err != nil {
		t.Fatal(err)
	}
	var prefixes []string
	for _, name := range strings.Fields(string(res.Stdout)) {
		if p, _, _ := strings.Cut(name, "."); !slices.Contains(prefixes, p) {
			prefixes = append(prefixes, p)
		}
	}
	return prefixes
}

// noSpoolLeft waits until the guest's /tmp holds no spool that was not
// there before, but the two files of the listing command itself through
// libvirt.
// The wrapper removes its files within a second or two once the client
// has read them, and other packages' tests may run commands on the same
// guest meanwhile: their spools go too, within the bound.
func noSpoolLeft(t *testing.T, c *qgaclient.Client, transport string, before []string) {
	t.Helper()
	allowed := 0
	if transport == "libvirt" {
		allowed = 2
	}
	var after []string
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(time.Second) {
		after = spoolPrefixes(t, c)
		fresh := 0
		for _, p := range after {
			if !slices.Contains(before, p) {
				fresh++
			}
		}
		if fresh <= allowed {
			return
		}
		if time.Now().After(end) {
			break
		}
	}
	t.Errorf("spools left in the guest's /tmp after 30 s: before %q, after %q", before, after)
}

func tail(b []byte) []byte { return b[max(0, len(b)-80):] }

// TestRealVMSpoolKeepsExecSemantics: what the libvirt wrapper must not
// change: stdin, env, exit codes, signals, no capture, a missing program,
// output without a final newline, and nothing left in the guest's /tmp.
func TestRealVMSpoolKeepsExecSemantics(t *testing.T) {
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			c := openReady(t, tc.target)
			run := func(req qgaclient.ExecRequest) *qgaclient.ExecResult {
				t.Helper()
				res, err := c.Exec(ctx(t), req)
				if err != nil {
					t.Fatalf("%v: %v", req.Args, err)
				}
				return res
			}
			before := spoolPrefixes(t, c)
			stdin := bytes.Repeat([]byte("line of stdin\n"), 1000)
			if res := run(qgaclient.ExecRequest{Path: "cat", Stdin: stdin}); !bytes.Equal(res.Stdout, stdin) {
				t.Errorf("stdin through cat: %d bytes back of %d", len(res.Stdout), len(stdin))
			}
			res := run(qgaclient.ExecRequest{Path: "/usr/bin/env", Env: []string{"A=1", "B=two words"}})
			if got := string(res.Stdout); got != "A=1\nB=two words\n" {
				t.Errorf("env: the command sees %q", got)
			}
			if res := run(qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", `printf 'no newline'; printf "%s" "$1" >&2; exit 200`, "sh", "it's \"$x\""}}); string(res.Stdout) != "no newline" || string(res.Stderr) != `it's "$x"` || res.ExitCode != 200 || res.Signal != 0 {
				t.Errorf("exit 200: %+v", res.ExecStatus)
			}
			if res := run(qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "exit 130"}}); res.ExitCode != 130 || res.Signal != 0 {
				t.Errorf("exit 130 by itself: exit %d, signal %d", res.ExitCode, res.Signal)
			}
			if res := run(qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "echo before; kill -TERM $$"}}); res.Signal != 15 || string(res.Stdout) != "before\n" || len(res.Stderr) != 0 {
				t.Errorf("killed by SIGTERM: signal %d, stdout %q, stderr %q", res.Signal, res.Stdout, res.Stderr)
			}
			if res := run(qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "echo lost"}, NoCapture: true}); res.ExitCode != 0 || len(res.Stdout) != 0 {
				t.Errorf("no capture: %+v", res.ExecStatus)
			}
			for _, missing := range []string{"/no/such/program", "no-such-program-qga"} {
				_, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: missing})
				if err == nil || !strings.Contains(err.Error(), missing) {
					t.Errorf("missing program %s: %v", missing, err)
				}
			}
			noSpoolLeft(t, c, tc.name, before)
		})
	}
}
