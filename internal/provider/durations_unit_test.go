package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// TestUnitDurations: durations in the configuration's string form; what is
// not a duration, and a duration of zero or less, fail the plan naming the
// attribute.
func TestUnitDurations(t *testing.T) {
	a := qgatest.New(t)
	exec := func(provider, timeout string) string {
		return `provider "qga" {
  ` + provider + `
}
resource "qga_guest_exec" "test" {
  agent_socket = "` + a.Socket() + `"
  path         = "/bin/true"
  timeout      = "` + timeout + `"
}`
	}
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config:      exec(`call_timeout = "soon"`, "1m"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid\s+Time\s+Duration\s+String\s+Value.*call_timeout\s+=\s+"soon"`),
			},
			{
				Config:      exec(`agent_timeout = "0s"`, "1m"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)agent_timeout\s+must\s+be\s+a\s+positive\s+Go\s+duration.*got\s+"0s"`),
			},
			{
				Config:      exec(`call_timeout = "5s"`, "-1m"),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)timeout\s+must\s+be\s+a\s+positive\s+Go\s+duration.*got\s+"-1m"`),
			},
			{
				Config: exec(`call_timeout = "5s"`+"\n  agent_timeout = \"90s\"", "1m"),
				Check:  resource.TestCheckResourceAttr("qga_guest_exec.test", "timeout", "1m"),
			},
		},
	})
}
