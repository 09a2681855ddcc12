package provider

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// blockedGuests are the two agents of the domain qga-blocked (see
// testbed.Blocked): rhel, through libvirt, blocks guest-exec and the
// guest-file-* commands as RHEL ships qemu-ga; noSSH, on the direct socket,
// blocks the ssh-key commands, which a Windows guest lacks. Both read the
// guest through the socket agent, the one that can exec and read files.
func blockedGuests(t *testing.T) (rhel, noSSH testGuest) {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does, with Terraform and with OpenTofu)")
	}
	env := testbed.Blocked(t)
	c, err := qgaclient.Open(qgaclient.Target{AgentSocket: env.Socket}, qgaclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WaitForAgent(context.Background(), 3*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	rhel = testGuest{"rhel", fmt.Sprintf("domain = %q", env.Domain), env.Domain, c, env}
	noSSH = testGuest{"no-ssh", fmt.Sprintf("agent_socket = %q", env.Socket), env.Socket, c, env}
	return rhel, noSSH
}

// disabledAtPlan matches the plan's error for a blocked command: it names
// the command and the setting to change (single words: Terraform wraps
// long lines).
func disabledAtPlan(command string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)Guest agent cannot do this.*` + regexp.QuoteMeta(command) + `.*disabled.*/etc/sysconfig/qemu-ga.*--block-rpcs`)
}

// disabledRead matches a data source's or ephemeral resource's error for a
// blocked command: a read fails where the plan reads it, naming the command
// and the setting to change.
func disabledRead(command string) *regexp.Regexp {
	return regexp.MustCompile(`(?s)` + regexp.QuoteMeta(command) + `.*disabled.*/etc/sysconfig/qemu-ga.*--block-rpcs`)
}

// fileReadConfig is the data source (or, with kind "ephemeral", the
// ephemeral resource) qga_guest_file reading /etc/passwd.
func fileReadConfig(g testGuest, kind string) string {
	return g.provider() + fmt.Sprintf("%s \"qga_guest_file\" \"passwd\" {\n  %s\n  path = \"/etc/passwd\"\n}\n", kind, g.hcl)
}

// TestAccBlockedCommandsFailAtPlan: a resource whose commands the guest
// blocks fails at plan time, before any change, naming the command and the
// guest setting to change: qga_guest_exec and qga_guest_file on RHEL's
// default agent, qga_guest_ssh_keys without the ssh-key commands. The data
// source qga_guest_file fails its read there too (it needs guest-file-*).
func TestAccBlockedCommandsFailAtPlan(t *testing.T) {
	rhel, noSSH := blockedGuests(t)
	noSSH.ensureUser(t, "tfblocked")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: execConfig(rhel, `  path = "/bin/true"`), PlanOnly: true, ExpectError: disabledAtPlan("guest-exec")},
			{Config: sshKeysConfig(noSSH, "tfblocked", false, testKey1), PlanOnly: true, ExpectError: disabledAtPlan("guest-ssh-get-authorized-keys")},
			{Config: fileConfig(rhel, `  path    = "/etc/tf-blocked-file"
  content = "x"`), PlanOnly: true, ExpectError: disabledAtPlan("guest-exec")},
			{Config: fileReadConfig(rhel, "data"), PlanOnly: true, ExpectError: disabledRead("guest-file-open")},
		},
	})
	if keys := noSSH.authorizedKeys("tfblocked"); keys != "" {
		t.Errorf("the failed plan changed the guest: authorized_keys of tfblocked is %q", keys)
	}
	if out := noSSH.run(t, "test -e /etc/tf-blocked-file && echo written || true"); out != "" {
		t.Errorf("the failed plan changed the guest: /etc/tf-blocked-file was %s", out)
	}
}

// TestAccBlockedCommandsWorkWithout: what does not need the blocked
// commands works: passwords and ssh keys without guest-exec and file
// access (RHEL's defaults); passwords, commands and both data sources
// without the ssh-key commands.
func TestAccBlockedCommandsWorkWithout(t *testing.T) {
	rhel, noSSH := blockedGuests(t)
	for i, g := range []testGuest{rhel, noSSH} {
		t.Run(g.name, func(t *testing.T) {
			user := fmt.Sprintf("tfblk%d", i)
			g.ensureUser(t, user)
			extra := fmt.Sprintf(`resource "qga_guest_ssh_keys" "k" {
  %s
  username = %q
  keys     = [%q]
}`, g.hcl, user, testKey1)
			if g.name == noSSH.name {
				extra = fmt.Sprintf(`resource "qga_guest_exec" "e" {
  %s
  path = "/bin/echo"
  args = ["ran", "without", "ssh-key commands"]
}`, g.hcl)
			}
			config := g.provider() + fmt.Sprintf(`resource "qga_guest_user_password" "p" {
  %[1]s
  username = %[2]q
  password = "blocked-Secret-1"
}
data "qga_guest_osinfo" "os" {
  %[1]s
}
data "qga_guest_interfaces" "lo" {
  %[1]s
  interface_names = ["lo"]
  scope           = ["loopback"]
}
%[3]s`, g.hcl, user, extra)
			if g.name == noSSH.name {
				// Files need no ssh-key command: mode and owner come too.
				config += "\n" + strings.TrimPrefix(fileReadConfig(g, "data"), g.provider())
			}
			checks := []resource.TestCheckFunc{shadowCheck(g, user, func(h string) bool { return strings.HasPrefix(h, "$y$") }, "a yescrypt hash")}
			stateChecks := []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.qga_guest_osinfo.os", tfjsonpath.New("id"), knownvalue.StringExact("debian")),
				statecheck.ExpectKnownValue("data.qga_guest_interfaces.lo", tfjsonpath.New("interfaces").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("lo")),
			}
			if g.name == noSSH.name {
				stateChecks = append(stateChecks,
					statecheck.ExpectKnownValue("qga_guest_exec.e", tfjsonpath.New("stdout"), knownvalue.StringExact("ran without ssh-key commands\n")),
					statecheck.ExpectKnownValue("data.qga_guest_file.passwd", tfjsonpath.New("owner"), knownvalue.StringExact("root")),
					statecheck.ExpectKnownValue("data.qga_guest_file.passwd", tfjsonpath.New("mode"), knownvalue.StringExact("0644")))
			} else {
				checks = append(checks, func(*terraform.State) error {
					if keys := g.authorizedKeys(user); !strings.Contains(keys, testKey1) {
						return fmt.Errorf("authorized_keys of %s: %q, want the key", user, keys)
					}
					return nil
				})
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{
					{Config: config, Check: resource.ComposeTestCheckFunc(checks...), ConfigStateChecks: stateChecks},
					{Config: config, PlanOnly: true}, // and nothing to do on the next plan
				},
			})
		})
	}
}

// TestAccBlockedCommandsEphemeralFile needs Terraform/OpenTofu >= 1.11:
// the ephemeral qga_guest_file fails on RHEL's default agent, naming
// guest-file-open and the setting, and reads without the ssh-key commands.
func TestAccBlockedCommandsEphemeralFile(t *testing.T) {
	rhel, noSSH := blockedGuests(t)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		Steps: []resource.TestStep{
			{Config: fileReadConfig(rhel, "ephemeral"), PlanOnly: true, ExpectError: disabledRead("guest-file-open")},
			{Config: fileReadConfig(noSSH, "ephemeral")},
		},
	})
}
