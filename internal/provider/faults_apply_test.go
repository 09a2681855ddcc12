package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// Faults during a real apply: the guest reboots, the agent is killed,
// libvirtd restarts. Each ends in a clear error or a correct recovery, and
// the state then says what was applied. Part of the fault suite (make
// test-faults): each test boots a throwaway domain of its own, so that
// nothing else runs on the guest it disturbs.

// faultGuest starts a throwaway domain and waits for its agent.
func faultGuest(t *testing.T, name string) testbed.Env {
	t.Helper()
	if os.Getenv("QGA_FAULTS") == "" || os.Getenv("TF_ACC") == "" {
		t.Skip("fault suite: run with QGA_FAULTS=1 TF_ACC=1 (make test-faults)")
	}
	env := testbed.Require(t)
	testbed.TransientGuest(t, name, true)
	waitForAgent(t, qgaclient.Target{URI: env.URI, Domain: name})
	return env
}

// faultConfig: root's key, then (after it) a command.
func faultConfig(uri, domain, script string) string {
	return fmt.Sprintf(`provider "qga" {
  uri           = %[1]q
  agent_timeout = "4m"
}
resource "qga_guest_ssh_keys" "k" {
  domain   = %[2]q
  username = "root"
  keys     = [%[3]q]
}
resource "qga_guest_exec" "e" {
  domain     = %[2]q
  path       = "/bin/sh"
  args       = ["-c", %[4]q]
  timeout    = "4m"
  depends_on = [qga_guest_ssh_keys.k]
}
`, uri, domain, testKey1, script)
}

// recoveredStep applies a short command after a fault: the key was applied
// before the fault (the state has it: update, or nothing when the guest
// kept it), the failed command was not recorded (create), and now both are.
func recoveredStep(env testbed.Env, domain string, keyAction plancheck.ResourceActionType) resource.TestStep {
	return resource.TestStep{
		Config: faultConfig(env.URI, domain, "echo recovered"),
		ConfigPlanChecks: resource.ConfigPlanChecks{
			PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("qga_guest_ssh_keys.k", keyAction),
				plancheck.ExpectResourceAction("qga_guest_exec.e", plancheck.ResourceActionCreate),
			},
		},
		ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue("qga_guest_exec.e", tfjsonpath.New("stdout"), knownvalue.StringExact("recovered\n")),
			statecheck.ExpectKnownValue("qga_guest_ssh_keys.k", tfjsonpath.New("keys"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(testKey1)})),
		},
	}
}

// TestFaultApplyGuestReboots: the guest reboots while the command runs.
// The apply fails naming the domain; the key stays in the state. The guest
// (RAM only) lost the key in the reboot: the next apply waits for the
// agent, puts the key back and runs the command.
func TestFaultApplyGuestReboots(t *testing.T) {
	const domain = "qga-faults-tf-reboot"
	env := faultGuest(t, domain)
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      faultConfig(env.URI, domain, "(sleep 2; /bin/busybox reboot -f) >/dev/null 2>&1 & sleep 60; echo never"),
				ExpectError: regexp.MustCompile(`(?s)Command outcome unknown.*` + domain + `.*runs\s+it\s+again`),
			},
			recoveredStep(env, domain, plancheck.ResourceActionUpdate),
		},
	})
	t.Logf("reboot and recovery took %s", time.Since(start).Round(time.Second))
}

// TestFaultApplyAgentKilled: the command kills the agent that runs it; the
// supervisor in the guest starts a new one, which does not know the
// process. The apply fails naming the domain; the next apply recovers.
func TestFaultApplyAgentKilled(t *testing.T) {
	const domain = "qga-faults-tf-agentkill"
	env := faultGuest(t, domain)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      faultConfig(env.URI, domain, "kill -9 $(cat /run/qga0/qemu-ga.pid); sleep 3; echo never"),
				ExpectError: regexp.MustCompile(`(?s)Command outcome unknown.*` + domain + `.*runs\s+it\s+again`),
			},
			recoveredStep(env, domain, plancheck.ResourceActionNoop),
		},
	})
}

// restartLibvirtd starts libvirtd again once the old one (pid $1), which
// holds its pidfile until it has exited, is gone, unless someone else
// (another test's testbed/up.sh) already did; it ends when libvirtd answers.
const restartLibvirtd = `i=0; while kill -0 "$1" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done
up() { virsh -q -c qemu:///system version >/dev/null 2>&1; }
up || libvirtd -d 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- || up
i=0; until up; do [ $i -ge 100 ] && exit 1; sleep 0.2; i=$((i+1)); done`

// TestFaultApplyLibvirtdRestart: libvirtd restarts while the command runs.
// The domain keeps running, the connection is reopened, and the command's
// real result is recorded. Restarting libvirtd disturbs every other user of
// this host's libvirt for a few seconds.
func TestFaultApplyLibvirtdRestart(t *testing.T) {
	const domain = "qga-faults-tf-libvirtd"
	env := faultGuest(t, domain)
	killed, restarted := make(chan struct{}), make(chan error, 1)
	// A sleep with a unique argument: libvirtd goes away once it runs in
	// the guest, not after a guessed time.
	sleepArg := fmt.Sprintf("25.%03d", time.Now().UnixNano()%1000)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					go func() {
						err := waitForGuestSleep(qgaclient.Target{URI: env.URI, Domain: domain}, sleepArg, 3*time.Minute)
						if err != nil {
							restarted <- err
							return
						}
						pid, err := os.ReadFile("/run/libvirtd.pid")
						if err == nil {
							err = exec.Command("kill", strings.TrimSpace(string(pid))).Run()
						}
						close(killed)
						if err == nil {
							var out []byte
							if out, err = exec.Command("sh", "-c", restartLibvirtd, "sh", strings.TrimSpace(string(pid))).CombinedOutput(); err != nil {
								err = fmt.Errorf("%w: %s", err, out)
							}
						}
						if err != nil {
							err = fmt.Errorf("restarting libvirtd: %w", err)
						}
						restarted <- err
					}()
				},
				Config: faultConfig(env.URI, domain, "sleep "+sleepArg+"; echo survived"),
				Check: func(*terraform.State) error {
					select { // libvirtd must have gone away while the command ran
					case <-killed:
						return nil
					default:
						return fmt.Errorf("libvirtd was not stopped during the apply: the test did not test anything")
					}
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_exec.e", tfjsonpath.New("stdout"), knownvalue.StringExact("survived\n")),
					statecheck.ExpectKnownValue("qga_guest_exec.e", tfjsonpath.New("exit_code"), knownvalue.Int64Exact(0)),
				},
			},
			{ // After the restart: a refresh and a new command work.
				PreConfig: func() {
					if err := <-restarted; err != nil {
						t.Fatal(err)
					}
				},
				Config: faultConfig(env.URI, domain, "echo after-restart"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_exec.e", tfjsonpath.New("stdout"), knownvalue.StringExact("after-restart\n")),
				},
			},
		},
	})
}

// waitForGuestSleep waits, within limit, until a sleep with arg as its
// argument runs in the guest, looking through a client of its own (closed
// before it returns, as libvirtd is about to go away).
func waitForGuestSleep(target qgaclient.Target, arg string, limit time.Duration) error {
	pool := qgaclient.NewPool()
	defer pool.Close()
	c, err := pool.Open(target, qgaclient.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		res, err := c.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", testbed.GuestSleepsScript, "sh", testbed.SleepPattern(arg)}})
		if err == nil && strings.TrimSpace(string(res.Stdout)) != "" {
			return nil
		}
		if err == nil {
			err = errors.New("not running")
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the command's sleep %s was not seen running in the guest within %s (last look: %w)", arg, limit, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
