package provider

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func execConfig(g testGuest, body string) string {
	return g.provider() + fmt.Sprintf("resource \"qga_guest_exec\" \"test\" {\n  %s\n%s\n}", g.hcl, body)
}

func TestAccGuestExec(t *testing.T) {
	for i, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			marker := fmt.Sprintf("/tmp/tf-exec-destroyed-%d", i)
			g.run(t, "rm -f "+marker)
			res := "qga_guest_exec.test"
			body := func(trigger string) string {
				return fmt.Sprintf(`  path  = "/bin/sh"
  args  = ["-c", "read line; echo \"$GREETING $line\"; echo warn >&2"]
  env   = { GREETING = "hello" }
  input = "from-stdin\n"
  triggers = { run = %q }
  destroy_path = "/bin/touch"
  destroy_args = [%q]`, trigger, marker)
			}
			var firstPID int64
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				CheckDestroy: func(*terraform.State) error {
					if out := g.run(t, "test -e "+marker+" && echo yes || echo no"); strings.TrimSpace(out) != "yes" {
						return fmt.Errorf("destroy command did not run: %s missing", marker)
					}
					return nil
				},
				Steps: []resource.TestStep{
					{
						Config: execConfig(g, body("1")),
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue(res, tfjsonpath.New("exit_code"), knownvalue.Int64Exact(0)),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("stdout"), knownvalue.StringExact("hello from-stdin\n")),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("stderr"), knownvalue.StringExact("warn\n")),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("stdout_truncated"), knownvalue.Bool(false)),
							statecheck.ExpectKnownValue(res, tfjsonpath.New("ok_exit_codes"), knownvalue.ListExact([]knownvalue.Check{knownvalue.Int64Exact(0)})),
						},
						Check: func(s *terraform.State) error {
							_, err := fmt.Sscan(s.RootModule().Resources[res].Primary.Attributes["pid"], &firstPID)
							return err
						},
					},
					{ // Same config: nothing runs again.
						Config: execConfig(g, body("1")),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
						},
					},
					{ // A new trigger replaces it: the destroy command runs, then the command again.
						Config: execConfig(g, body("2")),
						ConfigPlanChecks: resource.ConfigPlanChecks{
							PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(res, plancheck.ResourceActionDestroyBeforeCreate)},
						},
						Check: func(s *terraform.State) error {
							if s.RootModule().Resources[res].Primary.Attributes["pid"] == fmt.Sprint(firstPID) {
								return fmt.Errorf("pid unchanged: the command did not run again")
							}
							return nil
						},
					},
				},
			})
		})
	}
}

func TestAccGuestExecFailures(t *testing.T) {
	g := testGuests(t)[0]
	sleepArg := fmt.Sprintf("300.%d", time.Now().UnixNano()%1000000) // unique, to find this very process
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      execConfig(g, `path = "/bin/sh"`+"\n"+`args = ["-c", "echo first >&2; echo boom >&2; exit 3"]`),
				ExpectError: regexp.MustCompile(`(?s)exited with code 3.*boom`),
			},
			{ // An accepted non-zero exit code.
				Config: execConfig(g, `path = "/bin/sh"`+"\n"+`args = ["-c", "exit 3"]`+"\n"+`ok_exit_codes = [0, 3]`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_exec.test", tfjsonpath.New("exit_code"), knownvalue.Int64Exact(3)),
				},
			},
			// Timeout: the apply fails within its bound, and the command is
			// killed with the processes it started. The timeout runs from
			// when the guest started the shell; 5s, not less: a loaded CI
			// guest forked only twice in 2 s, and a shell killed before
			// its second fork would make the count 2.
			{
				Config:      execConfig(g, `path = "/bin/sh"`+"\n"+`args = ["-c", "sleep `+sleepArg+` & sleep `+sleepArg+` & wait"]`+"\n"+`timeout = "5s"`),
				ExpectError: regexp.MustCompile(`(?s)did\s+not\s+finish\s+within\s+its\s+timeout\s+of\s+5s.*killed\s+3\s+processes\s+in\s+the\s+guest`),
			},
			{
				PreConfig: func() {
					if left := g.sleeping(t, sleepArg); len(left) > 0 {
						t.Fatalf("sleep %s still running in the guest after the timeout: %s", sleepArg, left)
					}
				},
				Config:      execConfig(g, `path = "/bin/true"`+"\n"+`timeout = "soon"`),
				ExpectError: regexp.MustCompile(`(?s)Invalid\s+Time\s+Duration\s+String\s+Value.*soon`),
				PlanOnly:    true,
			},
			{
				Config:      execConfig(g, `path = "/no/such/program"`),
				ExpectError: regexp.MustCompile(`/no/such/program`),
			},
			{ // Output beyond output_limit is cut, and says so.
				Config: execConfig(g, `path = "/bin/sh"`+"\n"+`args = ["-c", "head -c 5000 /dev/zero | tr '\\0' x"]`+"\n"+`output_limit = 1000`),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_exec.test", tfjsonpath.New("stdout"), knownvalue.StringExact(strings.Repeat("x", 1000))),
					statecheck.ExpectKnownValue("qga_guest_exec.test", tfjsonpath.New("stdout_truncated"), knownvalue.Bool(true)),
				},
			},
		},
	})
}
