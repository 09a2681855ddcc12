package provider

import (
	"fmt"
	"regexp"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

func unitSSHKeysConfig(a *qgatest.Agent, exclusive bool, keys ...string) string {
	return unitConfig(a, `resource "qga_guest_ssh_keys" "test" {
  agent_socket = %[1]q
  username     = "alice"
  exclusive    = `+fmt.Sprint(exclusive)+`
  keys         = [`+quoteAll(keys)+`]
}`)
}

// fakeKeys checks alice's authorized_keys in the fake guest, in any order.
func fakeKeys(a *qgatest.Agent, want ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := a.AuthorizedKeys("alice")
		if len(got) != len(want) || slices.ContainsFunc(want, func(k string) bool { return !slices.Contains(got, k) }) {
			return fmt.Errorf("authorized_keys holds %q, want %q", got, want)
		}
		return nil
	}
}

// TestUnitGuestSSHKeys: create adds the keys and keeps the one Terraform
// does not manage; a key removed in the guest is put back; update swaps
// keys; exclusive removes the unmanaged one; import by socket/user; delete
// removes only the managed keys.
func TestUnitGuestSSHKeys(t *testing.T) {
	a := qgatest.New(t)
	a.SetAuthorizedKeys("alice", testKeyOther)
	res := "qga_guest_ssh_keys.test"
	unitTest(t, resource.TestCase{
		CheckDestroy: fakeKeys(a),
		Steps: []resource.TestStep{
			{
				Config: unitSSHKeysConfig(a, false, testKey1),
				Check: resource.ComposeTestCheckFunc(fakeKeys(a, testKeyOther, testKey1),
					resource.TestCheckResourceAttr(res, "id", a.Socket()+"/alice")),
			},
			{
				// Read sees the key gone from the guest; the apply puts it back.
				PreConfig: func() { a.SetAuthorizedKeys("alice", testKeyOther) },
				Config:    unitSSHKeysConfig(a, false, testKey1),
				Check:     fakeKeys(a, testKeyOther, testKey1),
			},
			{
				Config: unitSSHKeysConfig(a, false, testKey2),
				Check:  fakeKeys(a, testKeyOther, testKey2),
			},
			{
				Config: unitSSHKeysConfig(a, true, testKey1, testKey2),
				Check:  fakeKeys(a, testKey1, testKey2),
			},
			{
				ResourceName: res, ImportState: true, ImportStateId: a.Socket() + "/alice",
				ImportStateVerify: true, ImportStateVerifyIgnore: []string{"exclusive"}, // an import cannot know it
			},
		},
	})
}

// TestUnitGuestSSHKeysErrors: a user that does not exist fails the apply,
// a disabled command the plan, with errors that name them.
func TestUnitGuestSSHKeysErrors(t *testing.T) {
	a := qgatest.New(t)
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: unitConfig(a, `resource "qga_guest_ssh_keys" "test" {
  agent_socket = %[1]q
  username     = "nobody"
  keys         = [`+quoteAll([]string{testKey1})+`]
}`),
				ExpectError: regexp.MustCompile(`(?s)user\s+"nobody".*no\s+such\s+user`),
			},
			{
				PreConfig:   func() { a.Disable("guest-ssh-remove-authorized-keys") },
				Config:      unitSSHKeysConfig(a, false, testKey1),
				ExpectError: regexp.MustCompile(`(?s)Guest agent cannot do this.*guest-ssh-remove-authorized-keys:\s+command\s+is\s+disabled`),
			},
		},
	})
}
