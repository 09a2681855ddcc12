package qgaclient_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// guestProcesses lists the guest's sleep processes that have arg, a unique
// number such as 300.1234, as an argument (testbed.GuestSleepsScript).
// Only sleep processes count: through libvirt, the output spool's detached
// reader is a fork of the wrapper shell and carries the command's
// arguments in its command line until the command ends.
func guestProcesses(t *testing.T, c *qgaclient.Client, arg string) []string {
	t.Helper()
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", testbed.GuestSleepsScript, "sh", testbed.SleepPattern(arg)}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("listing guest processes: %+v, %v", res, err)
	}
	return strings.Fields(string(res.Stdout))
}

// waitGuestProcesses waits (bounded) until a sleep with arg runs in the
// guest. A Run that ends meanwhile (its error on done) fails the test.
func waitGuestProcesses(t *testing.T, c *qgaclient.Client, arg string, done <-chan error) {
	t.Helper()
	for end := time.Now().Add(time.Minute); len(guestProcesses(t, c, arg)) == 0; {
		select {
		case err := <-done:
			t.Fatalf("the command ended before its sleep %s was seen running: %v", arg, err)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(end) {
			t.Fatalf("no sleep %s running in the guest after a minute", arg)
		}
	}
}

// TestRunKillsProcessTree: a command that outlives its timeout is killed
// with every process it started, on both transports, and the error says how
// many processes were killed.
func TestRunKillsProcessTree(t *testing.T) {
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := openReady(t, tc.target)
			// The check for leftovers must see a live process, or its
			// "none left" would prove nothing.
			probe := fmt.Sprintf("300.%d7", time.Now().UnixNano()%1_000_000)
			pid, err := c.ExecStart(ctx(t), qgaclient.ExecRequest{Path: "/bin/sleep", Args: []string{probe}})
			if err != nil {
				t.Fatal(err)
			}
			if found := guestProcesses(t, c, probe); len(found) != 1 {
				t.Fatalf("the leftover check found %v for a running sleep %s (PID %d)", found, probe, pid)
			}
			if k := c.KillTree(ctx(t), pid); k.Scope != qgaclient.KilledTree || len(k.Killed) != 1 {
				t.Fatalf("killing the probe: %+v", k)
			}
			cases := []struct {
				name string
				// $1 is the unique sleep argument, $2 a file the script
				// creates once the tree is whole.
				script string
				want   int // processes killed; 0: at least 3 (the shell and two of its children)
			}{
				{"children", `sleep "$1" & sleep "$1" & : >"$2"; wait`, 3},
				{"grandchildren", `sh -c 'sleep "$1" & sleep "$1" & : >"$2"; wait' sh "$1" "$2" & wait`, 4},
				// Forks all the time: the stop-then-scan must catch every one.
				// It stops by itself after 300 forks (a minute or more), so
				// that a kill that failed (the agent unreachable) cannot leave
				// the guest forking for the next tests: it once did, 650
				// sleeps, for an hour.
				// How many it forked by the kill depends on the load (10 in
				// 2 s when idle, 3 on a loaded CI machine); that none is left
				// alive is what counts, so the count only shows it forked
				// again.
				{"forking", `n=0; while [ $n -lt 300 ]; do sleep "$1" & n=$((n + 1)); [ $n = 2 ] && : >"$2"; sleep 0.2; done`, 0},
			}
			for i, cc := range cases {
				t.Run(cc.name, func(t *testing.T) {
					// The timeout runs from when the guest started the shell,
					// and a loaded CI guest forked only twice in 2 s: a tree
					// that was not whole at the kill (no ready file) proves
					// less, so it runs again with twice the timeout.
					for timeout := 2 * time.Second; ; timeout *= 2 {
						arg := fmt.Sprintf("300.%d%d", time.Now().UnixNano()%1_000_000, i)
						whole := runAndKill(t, c, cc.script, arg, timeout, cc.want)
						if whole {
							break
						}
						if timeout >= 16*time.Second {
							t.Fatalf("the guest had not started the whole tree %s after the shell", timeout)
						}
						t.Logf("the tree was not whole when the %s timeout killed it: again with a longer timeout", timeout)
					}
				})
			}
		})
	}
}

// runAndKill runs script with a timeout that kills it and checks the kill:
// every process killed, none left, the error says so. It returns whether
// the script had created its ready file ($2) before the kill; only then is
// the number of processes killed checked (want; 0: at least 3).
func runAndKill(t *testing.T, c *qgaclient.Client, script, arg string, timeout time.Duration, want int) (whole bool) {
	t.Helper()
	ready := "/tmp/qgaclient-tree-ready-" + arg
	start := time.Now()
	_, err := c.Run(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", script, "sh", arg, ready}}, timeout)
	took := time.Since(start)
	var stopped *qgaclient.StoppedError
	if !errors.As(err, &stopped) || !errors.Is(err, qgaclient.ErrCommandTimeout) || !errors.Is(err, qgaclient.ErrTimeout) {
		t.Fatalf("err = %v, want a *StoppedError for the timeout", err)
	}
	k := stopped.Kill
	if k.Scope != qgaclient.KilledTree || len(k.Alive) > 0 {
		t.Fatalf("kill report %+v, want the tree killed: %v", k, err)
	}
	if left := guestProcesses(t, c, arg); len(left) > 0 {
		t.Fatalf("sleep %s still running in the guest as PIDs %v after: %v", arg, left, err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("timeout of %s", timeout)) {
		t.Errorf("error %q does not say the timeout", err)
	}
	res, rmErr := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", `test -e "$1" || exit 3; rm -f "$1"`, "sh", ready}})
	if rmErr != nil || res.ExitCode != 0 && res.ExitCode != 3 {
		t.Fatalf("looking for %s: %+v, %v", ready, res, rmErr)
	}
	if res.ExitCode != 0 {
		return false
	}
	if want > 0 && len(k.Killed) != want || want == 0 && len(k.Killed) < 3 {
		t.Fatalf("kill report %+v, want %d processes killed: %v", k, want, err)
	}
	if want := fmt.Sprintf("killed %d processes", len(k.Killed)); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	t.Logf("Run returned after %s (timeout %s), the kill took %s: %v", took.Round(time.Millisecond), timeout, k.Took.Round(time.Millisecond), err)
	return true
}

// TestRunReturnsResultWithinTimeout: a command that ends in time gives its
// result, not an error.
func TestRunReturnsResultWithinTimeout(t *testing.T) {
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := openReady(t, tc.target)
			res, err := c.Run(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "sleep 0.3; echo done"}}, 30*time.Second)
			if err != nil || res.ExitCode != 0 || string(res.Stdout) != "done\n" {
				t.Fatalf("%+v, %v", res, err)
			}
		})
	}
}

// TestRunCancelledKillsToo: an interrupted run (ctx cancelled, e.g. Ctrl-C
// in terraform) kills the command as well, and says it was stopped, not
// that it timed out.
func TestRunCancelledKillsToo(t *testing.T) {
	for _, tc := range transports(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := openReady(t, tc.target)
			arg := fmt.Sprintf("300.%d9", time.Now().UnixNano()%1_000_000)
			cctx, cancel := context.WithCancel(ctx(t))
			defer cancel()
			done := make(chan error, 1)
			go func() {
				_, err := c.Run(cctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", `sleep "$1" & wait`, "sh", arg}}, time.Minute)
				done <- err
			}()
			// Cancel once the shell has started its sleep, not after a
			// fixed time: a loaded guest may not have forked it yet.
			waitGuestProcesses(t, c, arg, done)
			cancel()
			err := <-done
			var stopped *qgaclient.StoppedError
			if !errors.As(err, &stopped) || errors.Is(err, qgaclient.ErrCommandTimeout) || !errors.Is(err, context.Canceled) || len(stopped.Kill.Killed) != 2 {
				t.Fatalf("err = %v, want a cancelled *StoppedError with 2 processes killed", err)
			}
			if left := guestProcesses(t, c, arg); len(left) > 0 {
				t.Fatalf("sleep %s still running after cancel: %v", arg, left)
			}
			t.Log(err)
		})
	}
}
