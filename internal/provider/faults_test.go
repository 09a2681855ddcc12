package provider

import (
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// TestFaultDataSourceDoesNotHang: a plan reading a guest whose agent does not
// answer ends, within the provider's agent_timeout, in an error that names
// the domain, the wait and the cause. Part of the fault suite (make
// test-faults): it starts a throwaway domain.
func TestFaultDataSourceDoesNotHang(t *testing.T) {
	if os.Getenv("QGA_FAULTS") == "" || os.Getenv("TF_ACC") == "" {
		t.Skip("fault suite: run with QGA_FAULTS=1 TF_ACC=1 (make test-faults)")
	}
	env := testbed.Require(t)
	testbed.TransientGuest(t, "qga-faults-tf-noagent", true)
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`provider "qga" {
  uri           = %q
  agent_timeout = "3s"
}
data "qga_guest_osinfo" "x" {
  domain = "qga-faults-tf-noagent"
}`, env.URI),
			ExpectError: regexp.MustCompile(`(?s)qga-faults-tf-noagent.*after waiting.*not connected`),
		}},
	})
	if d := time.Since(start); d > 45*time.Second {
		t.Fatalf("the plan took %s with agent_timeout = 3s", d)
	}
}
