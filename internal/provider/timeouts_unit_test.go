package provider

import (
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// unitShortAgentConfig is unitConfig with an agent_timeout of 1s, shorter
// than any wait these tests make: what waits longer is the timeouts block.
func unitShortAgentConfig(a *qgatest.Agent, body string) string {
	return regexp.MustCompile(`agent_timeout = "5s"`).ReplaceAllString(unitConfig(a, body), `agent_timeout = "1s"`)
}

// TestUnitTimeoutsWaitForAgent: an agent that is not connected yet (a
// guest still booting) is waited for as long as timeouts.create says, past
// the provider's agent_timeout, and the keys are then set.
func TestUnitTimeoutsWaitForAgent(t *testing.T) {
	a := qgatest.New(t)
	a.AddUser("alice")
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			// The plan's look at the guest turns away at most a few
			// connections without retrying; the apply's wait gets at least
			// five more, about 3.3s of DefaultWait's pauses, past the 1s
			// agent_timeout.
			PreConfig: func() { a.NotConnectedFor(8) },
			Config: unitShortAgentConfig(a, `resource "qga_guest_ssh_keys" "test" {
  agent_socket = %[1]q
  username     = "alice"
  keys         = [`+quoteAll([]string{testKey1})+`]
  timeouts {
    create = "30s"
  }
}`),
			Check: fakeKeys(a, testKey1),
		}},
	})
}

// TestUnitTimeoutsTooShort: an agent that never answers fails the create
// within timeouts.create, with an error that names the guest, what was
// last seen and the entry to raise. Without the block the same config
// names agent_timeout instead.
func TestUnitTimeoutsTooShort(t *testing.T) {
	a := qgatest.New(t)
	a.AddUser("alice")
	a.NotConnectedFor(1 << 30)
	var start time.Time
	keys := func(block string) string {
		return unitShortAgentConfig(a, `resource "qga_guest_ssh_keys" "test" {
  agent_socket = %[1]q
  username     = "alice"
  keys         = [`+quoteAll([]string{testKey1})+`]
  `+block+`
}`)
	}
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig:   func() { start = time.Now() },
				Config:      keys(`timeouts { create = "2s" }`),
				ExpectError: regexp.MustCompile(`(?s)agent\s+socket\s+/.*qga\.sock.*gave\s+up\s+waiting.*no\s+answer\s+after\s+waiting\s+2s.*last\s+error:\s+guest-sync-delimited:\s+guest\s+agent\s+is\s+not\s+connected.*closed\s+during\s+the\s+handshake.*raise\s+timeouts\.create\s+\(now\s+2s\)`),
			},
			{
				PreConfig: func() {
					if d := time.Since(start); d > 10*time.Second {
						t.Errorf("the failing create took %s for a 2s timeouts.create", d)
					}
				},
				Config:      keys(""),
				ExpectError: regexp.MustCompile(`(?s)raise\s+the\s+provider's\s+agent_timeout\s+\(now\s+1s\),\s+or\s+give\s+the\s+resource\s+a\s+timeouts\s+block`),
			},
		},
	})
}

// TestUnitTimeoutsNoWaitForWhatCannotHeal: an agent whose guest-ping is
// disabled fails at once, whatever the timeouts block allows, and the
// error does not suggest waiting longer.
func TestUnitTimeoutsNoWaitForWhatCannotHeal(t *testing.T) {
	a := qgatest.New(t)
	a.AddUser("alice")
	a.Disable("guest-ping")
	var start time.Time
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				PreConfig: func() { start = time.Now() },
				Config: unitConfig(a, `resource "qga_guest_user_password" "test" {
  agent_socket = %[1]q
  username     = "alice"
  password     = "s3cret"
  timeouts {
    create = "5m"
  }
}`),
				ExpectError: regexp.MustCompile(`(?s)guest-ping.*disabled`),
			},
			{
				PreConfig: func() {
					if d := time.Since(start); d > 20*time.Second {
						t.Errorf("a disabled guest-ping took %s to fail: it was waited for", d)
					}
					if n := a.Calls("guest-ping"); n != 1 {
						t.Errorf("guest-ping called %d times, want 1", n)
					}
				},
				Config:   unitConfig(a, `# nothing`),
				PlanOnly: true,
			},
		},
	})
}

// TestUnitTimeoutsValidation: a timeouts entry must be positive, and a
// command timeout longer than the operation's entry is refused at plan
// time; one that fits applies.
func TestUnitTimeoutsValidation(t *testing.T) {
	a := qgatest.New(t)
	execConfig := func(timeout, block string) string {
		return unitConfig(a, `resource "qga_guest_exec" "test" {
  agent_socket = %[1]q
  path         = "/bin/true"
  destroy_path = "/bin/true"
  timeout      = "`+timeout+`"
  timeouts {
    `+block+`
  }
}`)
	}
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      execConfig("10m", `create = "1m"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)timeout is 10m, longer than timeouts\.create \(1m\)`),
			},
			{
				Config:      execConfig("10m", `delete = "1m"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)timeout is 10m, longer than timeouts\.delete \(1m\)`),
			},
			{
				Config:      execConfig("10s", `create = "0s"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)timeouts\.create must be a positive Go duration`),
			},
			{
				Config:      execConfig("10s", `create = "soon"`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)soon`),
			},
			{
				Config: execConfig("1m", `create = "1m"
    delete = "2m"`),
				Check: resource.TestCheckResourceAttr("qga_guest_exec.test", "timeouts.create", "1m"),
			},
		},
	})
}

// TestUnitTimeoutsDataSourceRead: the data source qga_guest_interfaces
// waits for an agent that is not connected yet as long as timeouts.read
// says, past agent_timeout, as the resources do; a read that runs out
// names timeouts.read.
func TestUnitTimeoutsDataSourceRead(t *testing.T) {
	config := func(a *qgatest.Agent, read string) string {
		return unitShortAgentConfig(a, `data "qga_guest_interfaces" "test" {
  agent_socket    = %[1]q
  interface_names = ["lo"]
  scope           = ["loopback"]
  timeouts {
    read = "`+read+`"
  }
}`)
	}
	// The provider's pool lives for the whole test process: each case
	// gets an agent (a socket) of its own.
	t.Run("booting", func(t *testing.T) {
		a := qgatest.New(t)
		a.NotConnectedFor(6)
		unitTest(t, resource.TestCase{Steps: []resource.TestStep{{
			Config: config(a, "30s"),
			Check:  resource.TestCheckResourceAttr("data.qga_guest_interfaces.test", "addresses.0", "127.0.0.1"),
		}}})
	})
	t.Run("never answers", func(t *testing.T) {
		a := qgatest.New(t)
		a.NotConnectedFor(1 << 30)
		unitTest(t, resource.TestCase{Steps: []resource.TestStep{{
			Config:      config(a, "2s"),
			ExpectError: regexp.MustCompile(`(?s)gave\s+up\s+waiting.*raise\s+timeouts\.read\s+\(now\s+2s\)`),
		}}})
	})
}
