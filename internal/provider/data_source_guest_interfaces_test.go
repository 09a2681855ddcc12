package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccGuestInterfaces(t *testing.T) {
	for _, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			ds := "data.qga_guest_interfaces.lo"
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{{
					Config: g.provider() + `data "qga_guest_interfaces" "lo" {
` + g.hcl + `
  include_loopback = true
  address_family   = "ipv4"
  wait_for_address = true
  wait_timeout     = "1m"
}`,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("addresses"), knownvalue.ListPartial(map[int]knownvalue.Check{0: knownvalue.StringExact("127.0.0.1")})),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("interfaces").AtSliceIndex(0).AtMapKey("name"), knownvalue.StringExact("lo")),
					},
				}},
			})
		})
	}
}
