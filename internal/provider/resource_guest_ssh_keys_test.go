package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

const (
	testKey1     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl tf-key-1"
	testKey2     = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDVZmUwvsHJ8rAf2lXmCSfE3tvSdl9oRkqsUvtn6Nh7v tf-key-2"
	testKeyOther = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHPn3BZ3VyQxkG3dQzFfDqy7N9bC7sQK3cG0Q3KXjVqL not-managed"
)

func sshKeysConfig(g testGuest, user string, exclusive bool, keys ...string) string {
	return g.provider() + fmt.Sprintf(`resource "qga_guest_ssh_keys" "test" {
  %s
  username  = %q
  exclusive = %t
  keys      = [%s]
}`, g.hcl, user, exclusive, quoteAll(keys))
}

func quoteAll(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// authorizedKeys reads the file in the guest: the effect, not the state.
func (g testGuest) authorizedKeys(user string) string {
	s, err := g.readFile("/home/" + user + "/.ssh/authorized_keys")
	if err != nil && strings.Contains(err.Error(), "No such file") {
		return ""
	}
	return s
}

func TestAccGuestSSHKeys(t *testing.T) {
	for i, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			user := fmt.Sprintf("tfkeys%d", i)
			g.ensureUser(t, user)
			g.run(t, fmt.Sprintf("mkdir -p /home/%[1]s/.ssh && echo %[2]q > /home/%[1]s/.ssh/authorized_keys && chown -R %[1]s /home/%[1]s/.ssh", user, testKeyOther))
			res := "qga_guest_ssh_keys.test"
			inGuest := func(want ...string) resource.TestCheckFunc { return keysInGuest(g, user, want...) }
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				CheckDestroy:             inGuest("!"+testKey1, "!"+testKey2, testKeyOther),
				Steps: []resource.TestStep{
					{ // Non-exclusive: adds the key, leaves the unmanaged one.
						Config: sshKeysConfig(g, user, false, testKey1),
						Check:  inGuest(testKey1, testKeyOther),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(res, tfjsonpath.New("id"), knownvalue.StringExact(g.id+"/"+user)),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("keys"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(testKey1)})),
						},
					},
					{ // Drift: the key is removed in the guest; the plan puts it back.
						PreConfig: func() {
							ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
							defer cancel()
							if err := g.client.RemoveSSHKeys(ctx, user, []string{testKey1}); err != nil {
								t.Fatal(err)
							}
						},
						Config: sshKeysConfig(g, user, false, testKey1),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate)},
						},
						Check: inGuest(testKey1, testKeyOther),
					},
					{ // Replace key1 by key2 in place.
						Config: sshKeysConfig(g, user, false, testKey2),
						Check:  inGuest("!"+testKey1, testKey2, testKeyOther),
					},
					{ // Exclusive: the unmanaged key goes.
						Config: sshKeysConfig(g, user, true, testKey1, testKey2),
						Check:  inGuest(testKey1, testKey2, "!"+testKeyOther),
					},
					{ // Exclusive drift: a key added behind Terraform's back is removed.
						PreConfig: func() {
							g.run(t, fmt.Sprintf("printf '\\n%%s\\n' %q >> /home/%s/.ssh/authorized_keys", testKeyOther, user))
						},
						Config: sshKeysConfig(g, user, true, testKey1, testKey2),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate)},
						},
						Check: inGuest(testKey1, testKey2, "!"+testKeyOther),
					},
					{
						ResourceName: res, ImportState: true, ImportStateId: g.id + "/" + user,
						ImportStateVerify: true, ImportStateVerifyIgnore: []string{"exclusive"},
					},
					{ // Back to non-exclusive, with the unmanaged key restored for CheckDestroy.
						PreConfig: func() {
							g.run(t, fmt.Sprintf("printf '\\n%%s\\n' %q >> /home/%s/.ssh/authorized_keys", testKeyOther, user))
						},
						Config: sshKeysConfig(g, user, false, testKey1, testKey2),
					},
				},
			})
		})
	}
}

func TestAccGuestSSHKeysBadInput(t *testing.T) {
	g := testGuests(t)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{Config: sshKeysConfig(g, "alice", false, "not-a-key"), ExpectError: regexp.MustCompile(`not an OpenSSH public key`), PlanOnly: true},
			{Config: sshKeysConfig(g, "alice", false, testKey1, strings.Replace(testKey1, "tf-key-1", "other-comment", 1)), ExpectError: regexp.MustCompile(`listed twice`), PlanOnly: true},
			{Config: sshKeysConfig(g, "no-such-user-qga", false, testKey1), ExpectError: regexp.MustCompile(`no-such-user-qga`)},
			// A user without a home directory: the agent cannot create ~/.ssh.
			{Config: sshKeysConfig(g, "nohome", false, testKey1), ExpectError: regexp.MustCompile(`(?s)"nohome".*/home/nohome/\.ssh`)},
		},
	})
}
