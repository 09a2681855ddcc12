package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
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

// Secrets given to a command: input_wo reaches the command's standard input
// and neither the plan, the state nor a TF_LOG=trace log; env is sensitive.

const execWOVariables = `
variable "qga_wo_input" {
  type      = string
  sensitive = true
}
`

func execWOConfig(g testGuest, version int) string {
	return execWOVariables + execConfig(g, fmt.Sprintf(`  path             = "/bin/sh"
  args             = ["-c", "sha256sum | cut -d' ' -f1; echo \"$GREETING\" | sha256sum | cut -d' ' -f1"]
  env              = { GREETING = "env-Secret-5521" }
  input_wo         = var.qga_wo_input
  input_wo_version = %d`, version))
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// planHasNo fails when a secret appears in the plan's resource changes or
// planned values. (Its "variables" section does hold the values of the
// variables, sensitive or not: that is Terraform's plan file, not ours.)
type planHasNo struct{ secrets []string }

func (c planHasNo) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	raw, err := json.Marshal([]any{req.Plan.ResourceChanges, req.Plan.PlannedValues, req.Plan.PriorState, req.Plan.ResourceDrift})
	if err != nil {
		resp.Error = err
		return
	}
	for _, s := range c.secrets {
		if strings.Contains(string(raw), s) {
			resp.Error = fmt.Errorf("the plan holds a secret value (%d bytes of JSON searched)", len(raw))
		}
	}
}

// stateHasNo fails when a secret appears in any attribute of the state.
func stateHasNo(secrets ...string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		for name, r := range s.RootModule().Resources {
			for k, v := range r.Primary.Attributes {
				for _, secret := range secrets {
					if strings.Contains(v, secret) {
						return fmt.Errorf("a secret is in the state: %s.%s", name, k)
					}
				}
			}
		}
		return nil
	}
}

// TestAccGuestExecWriteOnlyInput needs Terraform/OpenTofu >= 1.11.
func TestAccGuestExecWriteOnlyInput(t *testing.T) {
	const secret, secret2 = "wo-Input-never-stored-8161", "wo-Input-second-value-2203"
	logFile := traceLog(t)
	for _, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			res := "qga_guest_exec.test"
			stdout := func(in string) statecheck.StateCheck {
				return statecheck.ExpectKnownValue(res, tfjsonpath.New("stdout"),
					knownvalue.StringExact(sha256Hex(in)+"\n"+sha256Hex("env-Secret-5521\n")+"\n"))
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_11_0)},
				Steps: []resource.TestStep{
					{
						PreConfig: func() { t.Setenv("TF_VAR_qga_wo_input", secret) },
						Config:    execWOConfig(g, 1),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{planHasNo{[]string{secret}}, plancheck.ExpectSensitiveValue(res, tfjsonpath.New("env"))},
						},
						Check: stateHasNo(secret),
						ConfigStateChecks: []statecheck.StateCheck{
							stdout(secret), // the command got it on stdin
							statecheck.ExpectKnownValue(res, tfjsonpath.New("input_wo"), knownvalue.Null()),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("input"), knownvalue.Null()),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("input_wo_version"), knownvalue.Int64Exact(1)),
							statecheck.ExpectSensitiveValue(res, tfjsonpath.New("env")),
						},
					},
					{ // Another value, same version: nothing to do (Terraform cannot see write-only values).
						PreConfig: func() { t.Setenv("TF_VAR_qga_wo_input", secret2) },
						Config:    execWOConfig(g, 1),
						PlanOnly:  true,
					},
					{ // A new version runs the command again, with the new value.
						Config: execWOConfig(g, 2),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{planHasNo{[]string{secret, secret2}}, plancheck.ExpectResourceAction(res, plancheck.ResourceActionReplace)},
						},
						Check:             stateHasNo(secret, secret2),
						ConfigStateChecks: []statecheck.StateCheck{stdout(secret2)},
					},
				},
			})
		})
	}
	traceLogHasNo(t, logFile, secret, secret2)
}

// TestAccGuestExecWriteOnlyInputOldTerraform: a Terraform without
// write-only attributes (1.5.7) must refuse input_wo rather than store it.
func TestAccGuestExecWriteOnlyInputOldTerraform(t *testing.T) {
	g := testGuests(t)[0]
	t.Setenv("TF_VAR_qga_wo_input", "wo-Input-old-terraform-0417")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipAbove(tfversion.Version1_10_0)},
		Steps: []resource.TestStep{{
			Config:      execWOConfig(g, 1),
			ExpectError: regexp.MustCompile(`(?i)write-only attributes are only supported in Terraform 1\.11`),
		}},
	})
}

// TestAccGuestExecEnvSensitive: env is hidden in plans (every version).
func TestAccGuestExecEnvSensitive(t *testing.T) {
	g := testGuests(t)[0]
	res := "qga_guest_exec.test"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: execConfig(g, `  path = "/bin/true"
  env  = { TOKEN = "env-Secret-7730" }`),
			ConfigPlanChecks: resource.ConfigPlanChecks{
				PreApply: []plancheck.PlanCheck{plancheck.ExpectSensitiveValue(res, tfjsonpath.New("env"))},
			},
			ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectSensitiveValue(res, tfjsonpath.New("env"))},
		}},
	})
}
