package provider

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// TestAccTimeouts: resources with a timeouts block apply, read, update and
// destroy normally on the test bed, through both transports; a command
// that outlives timeouts.create fails within it, saying so, and is killed
// in the guest.
func TestAccTimeouts(t *testing.T) {
	for i, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			user := fmt.Sprintf("tftimeouts%d", i)
			g.ensureUser(t, user)
			sleepArg := fmt.Sprintf("301.%d", time.Now().UnixNano()%1000000) // unique, to find this very process
			config := func(keysUpdate, execBody string) string {
				return g.provider() + fmt.Sprintf(`
resource "qga_guest_ssh_keys" "test" {
  %[1]s
  username = %[2]q
  keys     = [%[3]q]
  timeouts {
    create = "1m"
    read   = "30s"
    update = %[4]q
    delete = "30s"
  }
}
resource "qga_guest_exec" "test" {
  %[1]s
%[5]s
}`, g.hcl, user, testKey1, keysUpdate, execBody)
			}
			okExec := `  path         = "/bin/sh"
  args         = ["-c", "echo ok"]
  timeout      = "30s"
  destroy_path = "/bin/true"
  timeouts {
    create = "1m"
    delete = "30s"
  }`
			var start time.Time
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{
					{
						Config: config("1m", okExec),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("qga_guest_exec.test", tfjsonpath.New("stdout"), knownvalue.StringExact("ok\n")),
							statecheck.ExpectKnownValue("qga_guest_exec.test", tfjsonpath.New("timeouts").AtMapKey("create"), knownvalue.StringExact("1m")),
						},
					},
					{ // A changed entry is an update of the record only: the command does not run again.
						Config: config("2m", okExec),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("qga_guest_ssh_keys.test", tfjsonpath.New("timeouts").AtMapKey("update"), knownvalue.StringExact("2m")),
						},
					},
					{
						PreConfig: func() { start = time.Now() },
						Config: config("2m", `  path    = "/bin/sh"
  args    = ["-c", "sleep `+sleepArg+` & wait"]
  timeouts {
    create = "5s"
  }`),
						ExpectError: regexp.MustCompile(`(?s)Timed\s+out.*create\s+did\s+not\s+finish\s+within\s+timeouts\.create\s+\(5s\)`),
					},
					{
						PreConfig: func() {
							// The whole step: a plan and an apply (seconds each on
							// a loaded CI machine, which is what the margin is for),
							// the 5s, and the kill, bounded by its own deadline. A
							// create that ignored timeouts.create would run until
							// the command's default timeout of 5m.
							d := time.Since(start)
							t.Logf("the step with a 5s timeouts.create took %s", d.Round(time.Millisecond))
							if d > 2*time.Minute {
								t.Errorf("the create cut by a 5s timeouts.create took %s", d)
							}
							if left := g.sleeping(t, sleepArg); len(left) > 0 {
								t.Errorf("sleep %s still running in the guest after timeouts.create ran out: %s", sleepArg, left)
							}
						},
						Config: config("2m", okExec),
					},
				},
			})
		})
	}
}

// TestAccTimeoutsAgentNotUpYet: a guest created just before the apply, as
// another provider (dmacvicar/libvirt) would create it, has no agent for
// its first seconds. With a timeouts.create too short the create fails
// within it, naming the domain, what it last saw and what to raise; with
// one long enough it waits, past the provider's 1s agent_timeout, and
// applies. A throwaway domain (testbed.TransientGuest): the shared guest's
// agent is never stopped.
func TestAccTimeoutsAgentNotUpYet(t *testing.T) {
	testAccOnce(t)
	g := testGuests(t)[0]
	const domain = "qga-tf-timeouts-boot"
	config := func(create string) string {
		return fmt.Sprintf(`provider "qga" {
  uri           = %q
  agent_timeout = "1s"
}
resource "qga_guest_exec" "test" {
  domain  = %q
  path    = "/bin/sh"
  args    = ["-c", "echo up"]
  timeouts {
    create = %q
  }
}`, g.env.URI, domain, create)
	}
	var start time.Time
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				// The domain boots now: its agent answers 7 to 11 s later.
				PreConfig: func() {
					testbed.TransientGuest(t, domain, true)
					start = time.Now()
				},
				Config: config("2s"),
				ExpectError: regexp.MustCompile(`(?s)domain\s+"` + domain + `".*gave\s+up\s+waiting.*after\s+waiting\s+2s.*last\s+error:.*not\s+connected` +
					`.*raise\s+timeouts\.create\s+\(now\s+2s\)`),
			},
			{
				PreConfig: func() {
					if d := time.Since(start); d > 20*time.Second {
						t.Errorf("the create with a 2s timeouts.create took %s", d)
					}
				},
				Config: config("3m"),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_exec.test", tfjsonpath.New("stdout"), knownvalue.StringExact("up\n")),
				},
			},
		},
	})
}

// TestAccTimeoutsSocketNoAgent: through an agent socket that accepts but
// where no agent answers (a QEMU chardev whose guest has not started its
// agent), a short timeouts.create ends the create within it with the same
// clear error.
func TestAccTimeoutsSocketNoAgent(t *testing.T) {
	g := testGuests(t)[1]
	dir, err := os.MkdirTemp("", "qga-tf-timeouts")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "qga.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { // hold each connection open, read nothing, answer nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	var start time.Time
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { start = time.Now() },
				Config: g.provider() + fmt.Sprintf(`resource "qga_guest_user_password" "test" {
  agent_socket = %q
  username     = "nobody"
  password     = "unused"
  timeouts {
    create = "3s"
  }
}`, sock),
				ExpectError: regexp.MustCompile(`(?s)agent\s+socket\s+` + regexp.QuoteMeta(sock) + `.*gave\s+up\s+waiting.*no\s+answer\s+to\s+the\s+sync\s+handshake.*raise\s+timeouts\.create\s+\(now\s+3s\)`),
			},
			{
				PreConfig: func() {
					// The plan's look at the guest comes first, up to 10s for each
					// of the two plans (planCheckTimeout: a plan does not wait for
					// a booting guest, and here nothing ever answers); the error
					// says the wait itself took 3s.
					if d := time.Since(start); d > 2*planCheckTimeout+15*time.Second {
						t.Errorf("the create with a 3s timeouts.create took %s", d)
					}
				},
				Config:   g.provider(),
				PlanOnly: true,
			},
		},
	})
}

// TestAccTimeoutsNoWaitForMissingDomain: a domain libvirt does not know
// fails at once, however long timeouts.create is: waiting cannot create it.
func TestAccTimeoutsNoWaitForMissingDomain(t *testing.T) {
	g := testGuests(t)[0]
	var start time.Time
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { start = time.Now() },
				Config: g.provider() + `resource "qga_guest_exec" "test" {
  domain = "qga-tf-timeouts-no-such-domain"
  path   = "/bin/true"
  timeouts {
    create = "10m"
  }
}`,
				ExpectError: regexp.MustCompile(`(?s)qga-tf-timeouts-no-such-domain.*domain\s+not\s+found`),
			},
			{
				PreConfig: func() {
					if d := time.Since(start); d > 20*time.Second {
						t.Errorf("a missing domain took %s to fail: it was waited for", d)
					}
				},
				Config:   g.provider(),
				PlanOnly: true,
			},
		},
	})
}
