package provider

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// Importing keys must never cost a user a key: the import adopts the whole
// file, but only keys the configuration lists (and later drops) are ever
// removed. The guest is imported by its UUID and configured by its name,
// which is the same domain and no reason to replace the resource.

// domainUUID asks libvirt for the test bed domain's UUID.
func domainUUID(t *testing.T, g testGuest) string {
	t.Helper()
	out, err := exec.Command("virsh", "-q", "-c", g.env.URI, "domuuid", g.env.Domain).Output()
	if err != nil {
		t.Fatalf("virsh domuuid %s: %v", g.env.Domain, err)
	}
	return strings.TrimSpace(string(out))
}

// seedKeys writes the user's authorized_keys in the guest, behind Terraform's back.
func (g testGuest) seedKeys(t *testing.T, user string, keys ...string) {
	t.Helper()
	g.ensureUser(t, user)
	g.run(t, fmt.Sprintf("mkdir -p /home/%[1]s/.ssh && printf '%%s\\n' %[2]s > /home/%[1]s/.ssh/authorized_keys && chown -R %[1]s /home/%[1]s/.ssh",
		user, shellQuoteAll(keys)))
}

func shellQuoteAll(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + strings.ReplaceAll(x, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}

// keysInGuest checks the file in the guest: "!" before a key means absent.
func keysInGuest(g testGuest, user string, want ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got := g.authorizedKeys(user)
		for _, w := range want {
			neg := strings.HasPrefix(w, "!")
			if strings.Contains(got, strings.TrimPrefix(w, "!")) == neg {
				return fmt.Errorf("authorized_keys of %s in the guest: %q; want %s", user, got, w)
			}
		}
		return nil
	}
}

func TestAccGuestSSHKeysImportKeepsUnlistedKeys(t *testing.T) {
	g := testGuests(t)[0] // libvirt: the import may name the domain by UUID
	for i, importAs := range []string{g.env.Domain, domainUUID(t, g)} {
		t.Run(fmt.Sprintf("import-id-%d", i), func(t *testing.T) {
			testSSHKeysImportKeepsUnlistedKeys(t, g, fmt.Sprintf("tfimport%d", i), importAs)
		})
	}
}

// testSSHKeysImportKeepsUnlistedKeys is the case: the guest's user
// has keys A and B, the configuration lists A and imports the resource.
func testSSHKeysImportKeepsUnlistedKeys(t *testing.T, g testGuest, user, importDomain string) {
	res := "qga_guest_ssh_keys.test"
	importBlock := fmt.Sprintf("import {\n  to = %s\n  id = %q\n}\n", res, importDomain+"/"+user)
	keysAre := func(keys ...string) statecheck.StateCheck {
		checks := make([]knownvalue.Check, len(keys))
		for i, k := range keys {
			checks[i] = knownvalue.StringExact(k)
		}
		return statecheck.ExpectKnownValue(res, tfjsonpath.New("keys"), knownvalue.SetExact(checks))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		PreCheck:                 func() { g.seedKeys(t, user, testKey1, testKeyOther) },
		// Destroy removes the keys the configuration listed, never the other one.
		CheckDestroy: keysInGuest(g, user, "!"+testKey1, "!"+testKey2, testKeyOther),
		Steps: []resource.TestStep{
			{ // Import (by name or UUID), configure by name, list one of the two keys: one apply.
				Config: importBlock + sshKeysConfig(g, user, false, testKey1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionUpdate)},
				},
				Check: keysInGuest(g, user, testKey1, testKeyOther),
				ConfigStateChecks: []statecheck.StateCheck{
					keysAre(testKey1),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("domain"), knownvalue.StringExact(g.env.Domain)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("id"), knownvalue.StringExact(g.env.Domain+"/"+user)),
				},
			},
			{ // Nothing left to do.
				Config: sshKeysConfig(g, user, false, testKey1),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
			},
			{ // A listed key that is dropped is removed; the unlisted one stays.
				Config: sshKeysConfig(g, user, false, testKey2),
				Check:  keysInGuest(g, user, "!"+testKey1, testKey2, testKeyOther),
				ConfigStateChecks: []statecheck.StateCheck{
					keysAre(testKey2),
				},
			},
			{ // A non-exclusive import adopts the whole file; the state lists the managed keys only.
				ResourceName: res, ImportState: true, ImportStateId: g.env.Domain + "/" + user,
				ImportStateVerify: true, ImportStateVerifyIgnore: []string{"keys"},
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if n := states[0].Attributes["keys.#"]; n != "2" {
						return fmt.Errorf("imported %s keys, want the file's 2: %v", n, states[0].Attributes)
					}
					return nil
				},
			},
		},
	})
}

// TestAccGuestSSHKeysImportThenDestroy: an imported resource that is
// destroyed before any apply listed keys removes nothing.
func TestAccGuestSSHKeysImportThenDestroy(t *testing.T) {
	g := testGuests(t)[0]
	const user = "tfimport9"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		PreCheck:                 func() { g.seedKeys(t, user, testKey1, testKeyOther) },
		CheckDestroy:             keysInGuest(g, user, testKey1, testKeyOther),
		Steps: []resource.TestStep{
			{
				Config:       sshKeysConfig(g, user, false, testKey1),
				ResourceName: "qga_guest_ssh_keys.test", ImportState: true, ImportStateId: domainUUID(t, g) + "/" + user,
				ImportStatePersist: true,
			},
		},
	})
}
