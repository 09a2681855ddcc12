package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

// A SHA-512 crypt(3) hash, as mkpasswd -m sha-512 makes them.
const testCryptHash = "$6$qgatestsalt$VxG1FqWq5w1QYqg5G2aLkQyqfS3xkP6qW0vP3g8Qm3xH1bK8m3YrY2cQ5l6b1Jp7v0mZc3e8aT2sU9oR4nD1x/"

func passwordConfig(g testGuest, user, attrs string) string {
	return g.provider() + fmt.Sprintf(`resource "qga_guest_user_password" "test" {
  %s
  username = %q
  %s
}`, g.hcl, user, attrs)
}

// shadowCheck checks the user's /etc/shadow entry in the guest.
func shadowCheck(g testGuest, user string, ok func(hash string) bool, what string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		h, err := g.shadowHash(user)
		if err != nil {
			return err
		}
		if !ok(h) {
			return fmt.Errorf("shadow entry of %s is %q, want %s", user, h, what)
		}
		return nil
	}
}

func TestAccGuestUserPassword(t *testing.T) {
	for i, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			user := fmt.Sprintf("tfpw%d", i)
			g.ensureUser(t, user)
			var first string
			yescrypt := func(h string) bool { return strings.HasPrefix(h, "$y$") }
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{
					{
						Config: passwordConfig(g, user, `password = "first-Secret-1"`),
						Check: resource.ComposeTestCheckFunc(
							shadowCheck(g, user, yescrypt, "a yescrypt hash"),
							func(*terraform.State) error { first, _ = g.shadowHash(user); return nil },
						),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("qga_guest_user_password.test", tfjsonpath.New("id"), knownvalue.StringExact(g.id+"/"+user)),
						},
					},
					{
						Config: passwordConfig(g, user, `password = "second-Secret-2"`),
						Check:  shadowCheck(g, user, func(h string) bool { return yescrypt(h) && h != first }, "a new yescrypt hash"),
					},
					{
						Config: passwordConfig(g, user, fmt.Sprintf("password = %q\ncrypted = true", testCryptHash)),
						Check:  shadowCheck(g, user, func(h string) bool { return h == testCryptHash }, "the given hash"),
					},
				},
			})
		})
	}
}

func TestAccGuestUserPasswordBadInput(t *testing.T) {
	g := testGuests(t)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: passwordConfig(g, "alice", `password = "plain words"
crypted = true`), ExpectError: regexp.MustCompile(`crypt\(3\) hash`), PlanOnly: true},
			{Config: passwordConfig(g, "alice", `password = ""`), ExpectError: regexp.MustCompile(`(?i)length`), PlanOnly: true},
			{Config: passwordConfig(g, "alice", ``), ExpectError: regexp.MustCompile(`password_wo`), PlanOnly: true},
			{Config: passwordConfig(g, "no-such-user-qga", `password = "x-Secret-9"`), ExpectError: regexp.MustCompile(`no-such-user-qga`)},
		},
	})
}

const woVariables = `
variable "qga_wo_password" {
  type      = string
  sensitive = true
}
variable "qga_wo_password2" {
  type      = string
  sensitive = true
}
`

// TestAccGuestUserPasswordWriteOnly needs Terraform/OpenTofu >= 1.11: the
// password reaches the guest but neither the state nor a TF_LOG=trace log.
func TestAccGuestUserPasswordWriteOnly(t *testing.T) {
	const secret = "wo-Secret-never-logged-7319"
	logFile := traceLog(t)
	// The secret comes in through a variable, as in real use: the test
	// harness itself logs each step's configuration text at trace level.
	t.Setenv("TF_VAR_qga_wo_password", secret)
	t.Setenv("TF_VAR_qga_wo_password2", secret+"x")
	for i, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			user := fmt.Sprintf("tfwo%d", i)
			g.ensureUser(t, user)
			var before string
			res := "qga_guest_user_password.test"
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
				PreCheck:                 func() { before, _ = g.shadowHash(user) },
				Steps: []resource.TestStep{
					{
						Config: woVariables + passwordConfig(g, user, "password_wo = var.qga_wo_password\npassword_wo_version = 1"),
						Check: resource.ComposeTestCheckFunc(
							shadowCheck(g, user, func(h string) bool { return strings.HasPrefix(h, "$y$") && h != before }, "a new yescrypt hash"),
							func(s *terraform.State) error {
								for k, v := range s.RootModule().Resources[res].Primary.Attributes {
									if strings.Contains(v, secret) {
										return fmt.Errorf("the write-only password is in the state, attribute %s", k)
									}
								}
								return nil
							},
						),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(res, tfjsonpath.New("password_wo"), knownvalue.Null()),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("password"), knownvalue.Null()),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("password_wo_version"), knownvalue.Int64Exact(1)),
						},
					},
					{ // Same version: nothing to do, even with another value.
						Config:   woVariables + passwordConfig(g, user, "password_wo = var.qga_wo_password2\npassword_wo_version = 1"),
						PlanOnly: true,
					},
				},
			})
		})
	}
	traceLogHasNo(t, logFile, secret)
}
