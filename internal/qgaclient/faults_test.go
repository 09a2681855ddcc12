package qgaclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// The fault suite: each failure ends in a clear error or a correct recovery,
// within a bound. It kills agents, resets guests and restarts libvirtd, so it
// runs on a domain of its own and only when asked (make test-faults, which
// make test runs after everything else).

const faultsDomain = "qga-faults"

func faultsEnv(t *testing.T) testbed.Env {
	t.Helper()
	if os.Getenv("QGA_FAULTS") == "" {
		t.Skip("fault suite: run with QGA_FAULTS=1 (make test-faults); it disrupts libvirtd and guests")
	}
	// The direct-socket agent runs with guest-exec blocked, as an
	// administrator would configure it.
	return testbed.Extra(t, faultsDomain, "qga1_args=--block-rpcs=guest-exec")
}

// within fails the test when f takes longer than limit, and returns f's
// error. Each wait is logged with its bound ("bound: took X of Y"): the
// bounds come from the worst of these lines over runs with three guests on
// two cores (grep "bound:" in the go test -v output).
func within(t *testing.T, limit time.Duration, f func() error) error {
	t.Helper()
	start := time.Now()
	err := f()
	d := time.Since(start)
	t.Logf("bound: took %s of %s (%.0f%%)", d.Round(time.Millisecond), limit, 100*d.Seconds()/limit.Seconds())
	if d > limit {
		t.Fatalf("took %s, bound %s (error: %v)", d.Round(time.Millisecond), limit, err)
	}
	return err
}

func virsh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("virsh", append([]string{"-q", "-c", "qemu:///system"}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("virsh %v: %v: %s", args, err, out)
	}
	return string(out)
}

func TestFaultDomainMissingOrShutOff(t *testing.T) {
	env := faultsEnv(t)
	c, _ := qgaclient.Open(qgaclient.Target{URI: env.URI, Domain: "qga-no-such-domain"}, qgaclient.Options{})
	err := within(t, 5*time.Second, func() error { return c.WaitForAgent(ctx(t), 2*time.Minute, nil) })
	if !errors.Is(err, qgaclient.ErrDomainNotFound) || !strings.Contains(err.Error(), "qga-no-such-domain") {
		t.Fatalf("missing domain: %v", err)
	}

	// A defined domain that is shut off.
	xml := `<domain type='qemu'><name>qga-faults-off</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>`
	f, _ := os.CreateTemp(t.TempDir(), "*.xml")
	f.WriteString(xml)
	f.Close()
	exec.Command("virsh", "-q", "-c", env.URI, "undefine", "qga-faults-off").Run()
	virsh(t, "define", f.Name())
	t.Cleanup(func() { exec.Command("virsh", "-q", "-c", env.URI, "undefine", "qga-faults-off").Run() })
	c, _ = qgaclient.Open(qgaclient.Target{URI: env.URI, Domain: "qga-faults-off"}, qgaclient.Options{})
	err = within(t, 5*time.Second, func() error { return c.WaitForAgent(ctx(t), 2*time.Minute, nil) })
	if !errors.Is(err, qgaclient.ErrDomainNotRunning) || !strings.Contains(err.Error(), "virsh start") {
		t.Fatalf("shut-off domain: %v", err)
	}
}

func TestFaultNoChannelAndNoAgent(t *testing.T) {
	env := faultsEnv(t)
	testbed.TransientGuest(t, "qga-faults-nochannel", false)
	c, _ := qgaclient.Open(qgaclient.Target{URI: env.URI, Domain: "qga-faults-nochannel"}, qgaclient.Options{})
	err := within(t, 5*time.Second, func() error { return c.WaitForAgent(ctx(t), 2*time.Minute, nil) })
	if !errors.Is(err, qgaclient.ErrAgentNotConfigured) || !strings.Contains(err.Error(), "org.qemu.guest_agent.0") {
		t.Fatalf("no channel: %v", err)
	}

	// A channel, but no agent answering yet (the guest has just started):
	// a bounded wait, then an error with the domain, the wait and the cause.
	testbed.TransientGuest(t, "qga-faults-noagent", true)
	c, _ = qgaclient.Open(qgaclient.Target{URI: env.URI, Domain: "qga-faults-noagent"}, qgaclient.Options{})
	err = within(t, 6*time.Second, func() error { return c.WaitForAgent(ctx(t), 2*time.Second, nil) })
	if !errors.Is(err, qgaclient.ErrAgentUnavailable) {
		t.Fatalf("no agent: %v", err)
	}
	for _, want := range []string{"qga-faults-noagent", "after waiting", "not connected"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no-agent error %q does not say %q", err, want)
		}
	}
}

func TestFaultBlockedCommand(t *testing.T) {
	env := faultsEnv(t)
	c := openReady(t, qgaclient.Target{AgentSocket: env.Socket})
	_, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/true"})
	if !errors.Is(err, qgaclient.ErrCommandDisabled) {
		t.Fatalf("blocked guest-exec: %v", err)
	}
	for _, want := range []string{"guest-exec", "--block-rpcs", "enable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	// Calls that are not blocked still work on that agent.
	if _, err := c.OSInfo(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestFaultAgentKilledDuringExec(t *testing.T) {
	env := faultsEnv(t)
	c := openReady(t, qgaclient.Target{URI: env.URI, Domain: env.Domain})
	// Kill the libvirt-side agent from inside the guest a second after the
	// sleep below has started (seen by its unique argument; the pattern,
	// with the dot in brackets, does not match its own command line), not
	// at a fixed time: on a loaded machine the sleep's start may come
	// late, and a kill before it would test something else.
	arg := fmt.Sprintf("20.%d", time.Now().UnixNano()%1_000_000)
	killer := `(i=0
until grep -qlzx "$1" /proc/[0-9]*/cmdline; do
	i=$((i + 1)); [ $i -le 1200 ] || exit 0
	sleep 0.1
done
sleep 1; kill -9 $(cat /run/qga0/qemu-ga.pid)) >/dev/null 2>&1 &`
	pattern := strings.Replace(arg, ".", "[.]", 1)
	if _, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", killer, "sh", pattern}}); err != nil {
		t.Fatal(err)
	}
	err := within(t, 40*time.Second, func() error {
		_, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sleep", Args: []string{arg}})
		return err
	})
	if err == nil {
		t.Fatal("exec survived the agent's death: want an error")
	}
	if !strings.Contains(err.Error(), env.Domain) || !strings.Contains(err.Error(), "outcome") {
		t.Errorf("error does not say which domain and that the outcome is unknown: %v", err)
	}
	t.Logf("agent killed mid-exec: %v", err)
	// The supervisor restarts the agent; the client recovers.
	if err := within(t, 60*time.Second, func() error { return c.WaitForAgent(ctx(t), time.Minute, nil) }); err != nil {
		t.Fatalf("after the agent restarted: %v", err)
	}
	if _, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/true"}); err != nil {
		t.Fatalf("exec after the restart: %v", err)
	}
}

func TestFaultGuestReset(t *testing.T) {
	env := faultsEnv(t)
	c := openReady(t, qgaclient.Target{URI: env.URI, Domain: env.Domain})
	go func() {
		time.Sleep(time.Second)
		exec.Command("virsh", "-q", "-c", env.URI, "reset", env.Domain).Run()
	}()
	err := within(t, 40*time.Second, func() error {
		_, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sleep", Args: []string{"5"}})
		return err
	})
	if err == nil {
		t.Fatal("exec survived a guest reset: want an error")
	}
	t.Logf("guest reset mid-exec: %v", err)
	if err := within(t, 3*time.Minute, func() error { return c.WaitForAgent(ctx(t), 3*time.Minute, nil) }); err != nil {
		t.Fatalf("after the reset: %v", err)
	}
	if _, err := c.Hostname(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

func TestFaultSocketGarbageAndHalfClients(t *testing.T) {
	env := faultsEnv(t)
	// An earlier client that wrote half a command and garbage, then left.
	conn, err := net.Dial("unix", env.Socket)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("{\"execute\": \"guest-ping\", \"argu\x00\x01 garbage {{{"))
	conn.Close()
	c := openReady(t, qgaclient.Target{AgentSocket: env.Socket})
	if _, err := c.Hostname(ctx(t)); err != nil {
		t.Fatalf("after garbage on the channel: %v", err)
	}
	// A client that times out half way through a reply: the next command
	// resyncs and does not take the late reply as its own.
	for i := 0; i < 5; i++ {
		short, cancel := context.WithTimeout(context.Background(), 300*time.Microsecond)
		c.Info(short)
		cancel()
		h, err := c.Hostname(ctx(t))
		if err != nil || h != "qga-testbed" {
			t.Fatalf("after a half-read reply: %q, %v", h, err)
		}
	}
}

// TestFaultOutputOverCaptureLimit: the agent keeps at most 16 MiB of a
// stream and says so; the direct socket carries all of it.
func TestFaultOutputOverCaptureLimit(t *testing.T) {
	faultsEnv(t)
	c := openReady(t, qgaclient.Target{AgentSocket: testbed.Require(t).Socket})
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "head -c 20000000 /dev/zero"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.StdoutTruncated || len(res.Stdout) != 16<<20 {
		t.Fatalf("20 MB of output: truncated=%v, %d bytes kept; want truncated at 16 MiB", res.StdoutTruncated, len(res.Stdout))
	}
}

// TestFaultLargeOutputThenLibvirtdRestart: through libvirt, 12 MB of output
// (over libvirt's 10 MiB reply limit if it came in one reply) arrives
// intact and leaves the agent answering; then restarting libvirtd mid-use
// recovers, and the shared connection reconnects by itself.
//
// It used to trigger the limit on purpose and count on the restart to
// bring the stuck agent back, which depended on timing (issue 12). The
// client no longer sends a command whose reply libvirt cannot carry, and a
// test of the raw limit (virsh qemu-agent-command) is left out: the agent
// stays stuck writing until it is killed in the guest, and on this domain
// the other agent, on the direct socket, has guest-exec blocked.
func TestFaultLargeOutputThenLibvirtdRestart(t *testing.T) {
	env := faultsEnv(t)
	c := openReady(t, qgaclient.Target{URI: env.URI, Domain: env.Domain})
	// The worst case measured on two shared cores was 25 s for 20 MB.
	err := within(t, 3*time.Minute, func() error {
		res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "yes | head -c 12000000"}})
		if err == nil && (len(res.Stdout) != 12000000 || res.StdoutTruncated || strings.Trim(string(res.Stdout), "y\n") != "") {
			err = fmt.Errorf("12 MB asked: got %d bytes, truncated=%v", len(res.Stdout), res.StdoutTruncated)
		}
		return err
	})
	if err != nil {
		t.Fatalf("12 MB of output through libvirt: %v", err)
	}
	if err := within(t, 5*time.Second, func() error { return c.Ping(ctx(t)) }); err != nil {
		t.Fatalf("ping after 12 MB of output: %v", err)
	}
	restartLibvirtd(t)
	err = within(t, 60*time.Second, func() error { return c.WaitForAgent(ctx(t), time.Minute, nil) })
	if err != nil {
		t.Fatalf("after libvirtd restarted: %v", err)
	}
	res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/echo", Args: []string{"reconnected"}})
	if err != nil || string(res.Stdout) != "reconnected\n" {
		t.Fatalf("exec after the reconnect: %+v, %v", res, err)
	}
}

// restartLibvirtdScript stops libvirtd (the domains keep running) and
// starts it again 2 s after it has exited. Waiting for the exit matters: the
// old daemon holds its pidfile until then, and one started earlier fails
// with "Unable to obtain pidfile" (a fixed 2 s pause was not always enough
// on two loaded cores). A daemon someone else started in the meantime (the
// test bed's up.sh) does as well. Every wait is bounded.
const restartLibvirtdScript = `pid=$(cat /run/libvirtd.pid) && kill "$pid" || exit 1
i=0
while kill -0 "$pid" 2>/dev/null; do
	i=$((i + 1)); [ $i -le 600 ] || { echo "libvirtd (PID $pid) still running 60 s after SIGTERM"; exit 1; }
	sleep 0.1
done
sleep 2
libvirtd -d 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- && exit 0
i=0
until virsh -q -c qemu:///system version >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -le 30 ] || { echo "libvirtd did not start, nor did another one answer in 30 s"; exit 1; }
	sleep 1
done`

func restartLibvirtd(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("sh", "-c", restartLibvirtdScript).CombinedOutput(); err != nil {
		t.Fatalf("restarting libvirtd: %v: %s", err, out)
	}
}

func TestFaultConcurrentCalls(t *testing.T) {
	env := faultsEnv(t)
	for name, target := range map[string]qgaclient.Target{
		"libvirt": {URI: env.URI, Domain: env.Domain},
		"socket":  {AgentSocket: testbed.Require(t).Socket},
	} {
		t.Run(name, func(t *testing.T) {
			c := openReady(t, target)
			var wg sync.WaitGroup
			errs := make(chan error, 20)
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					res, err := c.Exec(ctx(t), qgaclient.ExecRequest{Path: "/bin/echo", Args: []string{fmt.Sprint("call-", i)}})
					if err != nil {
						errs <- err
						return
					}
					if got, want := string(res.Stdout), fmt.Sprintf("call-%d\n", i); got != want {
						errs <- fmt.Errorf("call %d got %q", i, got)
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}
