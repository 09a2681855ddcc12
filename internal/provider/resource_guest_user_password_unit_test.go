package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// fakePassword checks what the fake guest was last given for alice.
func fakePassword(a *qgatest.Agent, want string, wantCrypted bool) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, crypted, _ := a.Password("alice")
		if got != want || crypted != wantCrypted {
			return fmt.Errorf("alice's password was set to %q (crypted %t), want %q (crypted %t)", got, crypted, want, wantCrypted)
		}
		return nil
	}
}

func unitPasswordConfig(a *qgatest.Agent, password string, crypted bool) string {
	return unitConfig(a, `resource "qga_guest_user_password" "test" {
  agent_socket = %[1]q
  username     = "alice"
  password     = "`+password+`"
  crypted      = `+fmt.Sprint(crypted)+`
}`)
}

// TestUnitGuestUserPassword: create sets the password; a new password or
// a hash sets it again; destroy leaves the guest's password as it is.
func TestUnitGuestUserPassword(t *testing.T) {
	a := qgatest.New(t)
	a.AddUser("alice")
	const hash = "$6$rounds=5000$salt$" + "hash"
	unitTest(t, resource.TestCase{
		CheckDestroy: fakePassword(a, hash, true),
		Steps: []resource.TestStep{
			{
				Config: unitPasswordConfig(a, "first secret", false),
				Check: resource.ComposeTestCheckFunc(fakePassword(a, "first secret", false),
					resource.TestCheckResourceAttr("qga_guest_user_password.test", "id", a.Socket()+"/alice")),
			},
			{Config: unitPasswordConfig(a, "second secret", false), Check: fakePassword(a, "second secret", false)},
			{Config: unitPasswordConfig(a, hash, true), Check: fakePassword(a, hash, true)},
		},
	})
}

// TestUnitGuestUserPasswordErrors: a disabled command fails the plan; a
// user that does not exist fails the apply, naming the user.
func TestUnitGuestUserPasswordErrors(t *testing.T) {
	a := qgatest.New(t)
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      unitPasswordConfig(a, "pw", false),
				ExpectError: regexp.MustCompile(`(?s)user\s+"alice".*failed\s+to\s+set\s+user\s+password`),
			},
			{
				PreConfig:   func() { a.Disable("guest-set-user-password") },
				Config:      unitPasswordConfig(a, "pw", false),
				ExpectError: regexp.MustCompile(`(?s)Guest agent cannot do this.*guest-set-user-password:\s+command\s+is\s+disabled`),
			},
		},
	})
}
