package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// TestUnitGuestOSInfo reads what the fake guest says about itself.
func TestUnitGuestOSInfo(t *testing.T) {
	a := qgatest.New(t)
	a.SetOSInfo(qgatest.OSInfo{ID: "alpine", Name: "Alpine Linux", PrettyName: "Alpine Linux v3.20", VersionID: "3.20.1",
		KernelRelease: "6.6.31-0-virt", Machine: "aarch64"})
	a.SetHostname("guest-1")
	a.SetTimezone("CET", 3600)
	ds := "data.qga_guest_osinfo.test"
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: unitConfig(a, `data "qga_guest_osinfo" "test" {
  agent_socket = %[1]q
}`),
			Check: resource.ComposeTestCheckFunc(
				resource.TestCheckResourceAttr(ds, "id", "alpine"),
				resource.TestCheckResourceAttr(ds, "pretty_name", "Alpine Linux v3.20"),
				resource.TestCheckResourceAttr(ds, "version_id", "3.20.1"),
				resource.TestCheckResourceAttr(ds, "kernel_release", "6.6.31-0-virt"),
				resource.TestCheckResourceAttr(ds, "machine", "aarch64"),
				resource.TestCheckResourceAttr(ds, "hostname", "guest-1"),
				resource.TestCheckResourceAttr(ds, "timezone", "CET"),
				resource.TestCheckResourceAttr(ds, "timezone_offset", "3600"),
				resource.TestCheckResourceAttr(ds, "agent_version", qgatest.Version),
			),
		}},
	})
}
