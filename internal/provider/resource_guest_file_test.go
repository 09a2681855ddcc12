package provider

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
)

func fileConfig(g testGuest, body string) string {
	return g.provider() + fmt.Sprintf("resource \"qga_guest_file\" \"test\" {\n  %s\n%s\n}\n", g.hcl, body)
}

// guestFileIs checks the guest's file: its content, or that it is gone.
func guestFileIs(g testGuest, p, want string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		got, err := g.readFile(p)
		switch {
		case want == "" && err != nil && strings.Contains(err.Error(), "No such file"):
			return nil
		case err != nil:
			return err
		case got != want:
			return fmt.Errorf("%s holds %q, want %q", p, got, want)
		}
		return nil
	}
}

// TestAccGuestFile: create (with directories), drift in content, mode and
// existence (each put back), update, import, destroy; a hostile name.
func TestAccGuestFile(t *testing.T) {
	for _, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			dir := "/opt/tf-file-" + g.name
			p := dir + "/sub/it's $(id) `x`; y.conf"
			g.run(t, "rm -rf "+dir)
			res := "qga_guest_file.test"
			body := func(content, mode string) string {
				return fmt.Sprintf("  path = %q\n  content = %q\n  mode = %q\n  owner = \"alice\"\n  create_directories = true", p, content, mode)
			}
			expect := func(content, mode string) []statecheck.StateCheck {
				return []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("sha256"), knownvalue.StringExact(sha256Hex(content))),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("size"), knownvalue.Int64Exact(int64(len(content)))),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("mode"), knownvalue.StringExact(mode)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("owner"), knownvalue.StringExact("alice")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("group"), knownvalue.StringExact("root")),
				}
			}
			putBack := func(action plancheck.ResourceActionType) resource.ConfigPlanChecks {
				return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, action)}}
			}
			quoted := strings.NewReplacer(`'`, `'\''`).Replace(p)
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				CheckDestroy:             guestFileIs(g, p, ""),
				Steps: []resource.TestStep{
					{
						Config:            fileConfig(g, body("first\n", "0640")),
						ConfigStateChecks: expect("first\n", "0640"),
						Check:             guestFileIs(g, p, "first\n"),
					},
					{ // Changed in the guest: put back.
						PreConfig:         func() { g.run(t, "echo tampered > '"+quoted+"'") },
						Config:            fileConfig(g, body("first\n", "0640")),
						ConfigPlanChecks:  putBack(plancheck.ResourceActionUpdate),
						ConfigStateChecks: expect("first\n", "0640"),
						Check:             guestFileIs(g, p, "first\n"),
					},
					{ // Its mode changed in the guest: put back.
						PreConfig:         func() { g.run(t, "chmod 0666 '"+quoted+"'") },
						Config:            fileConfig(g, body("first\n", "0640")),
						ConfigPlanChecks:  putBack(plancheck.ResourceActionUpdate),
						ConfigStateChecks: expect("first\n", "0640"),
					},
					{ // Removed in the guest: written again.
						PreConfig:         func() { g.run(t, "rm -f '"+quoted+"'") },
						Config:            fileConfig(g, body("first\n", "0640")),
						ConfigPlanChecks:  putBack(plancheck.ResourceActionCreate),
						ConfigStateChecks: expect("first\n", "0640"),
						Check:             guestFileIs(g, p, "first\n"),
					},
					{ // New content and mode.
						Config:            fileConfig(g, body("second\n", "0600")),
						ConfigPlanChecks:  putBack(plancheck.ResourceActionUpdate),
						ConfigStateChecks: expect("second\n", "0600"),
						Check:             guestFileIs(g, p, "second\n"),
					},
					{
						ResourceName:            res,
						ImportState:             true,
						ImportStateId:           g.id + ":" + p,
						ImportStateVerify:       true,
						ImportStateVerifyIgnore: []string{"content", "create_directories"},
					},
				},
			})
		})
	}
}

// TestAccGuestFileSourceAndData: a 32 MiB source file from the host (its
// sha256 taken at plan time, so a changed source is copied again), the
// data source's content, mode and owner, its size bound, and a file kept
// on destroy. Through libvirt only, in the first acceptance run.
func TestAccGuestFileSourceAndData(t *testing.T) {
	testAccOnce(t)
	g := testGuests(t)[0]
	src := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 32<<20)
	_, _ = rand.Read(data)
	changed := append([]byte{data[0] ^ 0xff}, data[1:]...)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := "/var/tmp/tf-file-source.bin"
	small := "/var/tmp/tf-file-kept.txt"
	g.run(t, "rm -f "+p+" "+small)
	t.Cleanup(func() { g.run(t, "rm -f "+p+" "+small) })
	guestSum := func(want []byte) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := strings.Fields(g.run(t, "sha256sum "+p)); len(got) == 0 || got[0] != sha256Hex(string(want)) {
				return fmt.Errorf("the guest's %s has sha256 %v, want %s", p, got, sha256Hex(string(want)))
			}
			return nil
		}
	}
	config := g.provider() + fmt.Sprintf(`
resource "qga_guest_file" "big" {
  %[1]s
  path   = %[2]q
  source = %[3]q
}
resource "qga_guest_file" "kept" {
  %[1]s
  path            = %[4]q
  content_base64  = base64encode("kept\n")
  keep_on_destroy = true
}
data "qga_guest_file" "kept" {
  %[1]s
  path       = qga_guest_file.kept.path
  depends_on = [qga_guest_file.kept]
}
`, g.hcl, p, src, small)
	bounded := fmt.Sprintf(`
data "qga_guest_file" "big" {
  %s
  path       = qga_guest_file.big.path
  max_size   = 1024
}
`, g.hcl)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		CheckDestroy:             guestFileIs(g, small, "kept\n"),
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_file.big", tfjsonpath.New("sha256"), knownvalue.StringExact(sha256Hex(string(data)))),
					statecheck.ExpectKnownValue("qga_guest_file.big", tfjsonpath.New("size"), knownvalue.Int64Exact(32<<20)),
					statecheck.ExpectKnownValue("data.qga_guest_file.kept", tfjsonpath.New("content"), knownvalue.StringExact("kept\n")),
					statecheck.ExpectKnownValue("data.qga_guest_file.kept", tfjsonpath.New("mode"), knownvalue.StringExact("0644")),
					statecheck.ExpectKnownValue("data.qga_guest_file.kept", tfjsonpath.New("owner"), knownvalue.StringExact("root")),
				},
				Check: guestSum(data),
			},
			{
				Config:      config + bounded,
				ExpectError: regexp.MustCompile(`larger than 1024 bytes`),
			},
			{ // The source changed on the host: copied again.
				PreConfig: func() {
					if err := os.WriteFile(src, changed, 0o600); err != nil {
						t.Fatal(err)
					}
				},
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("qga_guest_file.big", plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_file.big", tfjsonpath.New("sha256"), knownvalue.StringExact(sha256Hex(string(changed)))),
				},
				Check: guestSum(changed),
			},
		},
	})
}

// TestAccGuestFileWriteOnly needs Terraform/OpenTofu >= 1.11: the content
// reaches the guest but neither the state (nor its hash) nor a
// TF_LOG=trace log; the ephemeral qga_guest_file reads it back into a
// write-only password, again without a trace.
func TestAccGuestFileWriteOnly(t *testing.T) {
	const secret = "wo-file-Secret-never-logged-5521"
	logFile := traceLog(t)
	t.Setenv("TF_VAR_qga_wo_file", secret)
	g := testGuests(t)[0]
	g.ensureUser(t, "tfwofile")
	p := "/root/tf-file-secret"
	g.run(t, "rm -f "+p)
	fileOnly := g.provider() + fmt.Sprintf(`
variable "qga_wo_file" {
  type      = string
  sensitive = true
}
resource "qga_guest_file" "secret" {
  %[1]s
  path               = %[2]q
  content_wo         = var.qga_wo_file
  content_wo_version = 1
  mode               = "0600"
}
`, g.hcl, p)
	// The ephemeral read comes once the file exists: an ephemeral resource
	// whose arguments are known is opened during the plan.
	config := fileOnly + fmt.Sprintf(`
ephemeral "qga_guest_file" "secret" {
  %[1]s
  path = qga_guest_file.secret.path
}
resource "qga_guest_user_password" "from_file" {
  %[1]s
  username            = "tfwofile"
  password_wo         = ephemeral.qga_guest_file.secret.content
  password_wo_version = 1
}
`, g.hcl)
	res := "qga_guest_file.secret"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
		CheckDestroy:             guestFileIs(g, p, ""),
		Steps: []resource.TestStep{
			{Config: fileOnly},
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(
					guestFileIs(g, p, secret),
					shadowCheck(g, "tfwofile", func(h string) bool { return strings.HasPrefix(h, "$y$") }, "a hash of the file's secret"),
					func(s *terraform.State) error {
						for name, r := range s.RootModule().Resources {
							for k, v := range r.Primary.Attributes {
								if strings.Contains(v, secret) || strings.Contains(v, sha256Hex(secret)) {
									return fmt.Errorf("the secret (or its sha256) is in the state: %s.%s", name, k)
								}
							}
						}
						return nil
					},
				),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("content_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("sha256"), knownvalue.Null()),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("mode"), knownvalue.StringExact("0600")),
				},
			},
			{ // Same version, file in place: nothing to do.
				Config:   config,
				PlanOnly: true,
			},
		},
	})
	traceLogHasNo(t, logFile, secret)
}
