package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// The test bed guest's eth0 has 10.0.2.15, a fec0:: (site-local) and a
// fe80:: (link-local) address: the trap of picking the wrong one.

func TestAccGuestInterfaces(t *testing.T) {
	for _, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{
					{ // Defaults: global addresses only, so no fe80:: and no fec0::.
						Config: g.provider() + `data "qga_guest_interfaces" "x" {
  ` + g.hcl + `
  wait_for = 1
  timeouts {
    read = "1m"
  }
}`,
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.x", tfjsonpath.New("ipv4_address"), knownvalue.StringExact("10.0.2.15")),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.x", tfjsonpath.New("addresses"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.0.2.15")})),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.x", tfjsonpath.New("ipv6_address"), knownvalue.StringExact("")),
						},
					},
					{ // Other scopes on request; name and MAC filters pick eth0.
						Config: g.provider() + `data "qga_guest_interfaces" "site" {
  ` + g.hcl + `
  scope          = ["site_local", "link_local"]
  address_family = "ipv6"
}
data "qga_guest_interfaces" "byname" {
  ` + g.hcl + `
  interface_names = ["eth*"]
}
data "qga_guest_interfaces" "bymac" {
  ` + g.hcl + `
  hardware_address = upper(data.qga_guest_interfaces.byname.interfaces[0].hardware_address)
  cidr             = ["10.0.0.0/8"]
}
data "qga_guest_interfaces" "lo" {
  ` + g.hcl + `
  scope          = ["loopback"]
  address_family = "ipv4"
}`,
						ConfigStateChecks: []statecheck.StateCheck{
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.site", tfjsonpath.New("addresses"), knownvalue.ListExact([]knownvalue.Check{
								knownvalue.StringRegexp(regexp.MustCompile(`^fec0:`)), knownvalue.StringRegexp(regexp.MustCompile(`^fe80:`)),
							})),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.site", tfjsonpath.New("interfaces").AtSliceIndex(0).AtMapKey("ip_addresses").AtSliceIndex(0).AtMapKey("scope"), knownvalue.StringExact("site_local")),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.byname", tfjsonpath.New("interfaces"), knownvalue.ListSizeExact(1)),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.byname", tfjsonpath.New("interfaces").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("eth0")),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.bymac", tfjsonpath.New("interfaces"), knownvalue.ListSizeExact(1)),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.bymac", tfjsonpath.New("interfaces").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("eth0")),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.bymac", tfjsonpath.New("ipv4_address"), knownvalue.StringExact("10.0.2.15")),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.lo", tfjsonpath.New("addresses"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("127.0.0.1")})),
							statecheck.ExpectKnownValue("data.qga_guest_interfaces.lo", tfjsonpath.New("interfaces").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("lo")),
						},
					},
					{ // Not enough addresses before the timeout: the error lists what was seen.
						Config: g.provider() + `data "qga_guest_interfaces" "x" {
  ` + g.hcl + `
  wait_for = 2
  timeouts {
    read = "3s"
  }
}`,
						// Terraform wraps the message: words may be split by newlines.
						ExpectError: regexp.MustCompile(`(?s)2\s+matching\s+any\s+address\(es\)\s+wanted,\s+1\s+found.*eth0.*10\.0\.2\.15/24\s+\(global\).*fe80:[0-9a-f:]*/64\s+\(link_local\)`),
					},
				},
			})
		})
	}
}

// TestAccGuestInterfacesExcludesContainerBridge: a docker0 bridge with an
// address, as Docker makes one in the guest, is left out by default, and
// shows with exclude_interface_names = []; own exclusions (eth*) replace the
// defaults. The test bed's guest keeps the bridge module for this.
func TestAccGuestInterfacesExcludesContainerBridge(t *testing.T) {
	g := testGuests(t)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: g.provider() + `data "qga_guest_interfaces" "x" {
  ` + g.hcl + `
  scope                   = ["global", "site_local", "link_local"]
  exclude_interface_names = ["eth*"]
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.qga_guest_interfaces.x", tfjsonpath.New("addresses"), knownvalue.ListSizeExact(0)),
				statecheck.ExpectKnownValue("data.qga_guest_interfaces.x", tfjsonpath.New("ipv4_address"), knownvalue.StringExact("")),
			},
		}},
	})

	// The VM is shared: the bridge goes again whatever the test's outcome.
	t.Cleanup(func() { g.run(t, "ip link del docker0 2>/dev/null; true") })
	g.run(t, "ip link del docker0 2>/dev/null; ip link add docker0 type bridge && ip addr add 172.17.0.1/16 dev docker0 && ip link set docker0 up")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: g.provider() + `data "qga_guest_interfaces" "x" {
  ` + g.hcl + `
  address_family = "ipv4"
}
data "qga_guest_interfaces" "all" {
  ` + g.hcl + `
  address_family          = "ipv4"
  exclude_interface_names = []
}`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.qga_guest_interfaces.x", tfjsonpath.New("addresses"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.0.2.15")})),
				statecheck.ExpectKnownValue("data.qga_guest_interfaces.all", tfjsonpath.New("addresses"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("10.0.2.15"), knownvalue.StringExact("172.17.0.1")})),
			},
		}},
	})
}
