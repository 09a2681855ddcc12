package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// TestUnitGuestInterfaces: the filters (family, loopback) over the fake
// guest's interfaces, and a wait for an address that never comes.
func TestUnitGuestInterfaces(t *testing.T) {
	a := qgatest.New(t)
	ds := "data.qga_guest_interfaces.test"
	config := func(extra string) string {
		return unitConfig(a, `data "qga_guest_interfaces" "test" {
  agent_socket = %[1]q
  `+extra+`
}`)
	}
	unitTest(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config(""),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(ds, "interfaces.#", "1"),
					resource.TestCheckResourceAttr(ds, "interfaces.0.name", "eth0"),
					resource.TestCheckResourceAttr(ds, "interfaces.0.hardware_address", "52:54:00:00:00:01"),
					resource.TestCheckResourceAttr(ds, "addresses.#", "3"),
				),
			},
			{
				Config: config(`address_family = "ipv4"` + "\n  include_loopback = true"),
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(ds, "interfaces.#", "2"),
					resource.TestCheckResourceAttr(ds, "addresses.#", "2"),
					resource.TestCheckTypeSetElemAttr(ds, "addresses.*", "127.0.0.1"),
					resource.TestCheckTypeSetElemAttr(ds, "addresses.*", "192.0.2.10"),
				),
			},
			{
				PreConfig: func() {
					a.SetInterfaces(qgatest.Interface{Name: "lo", Addresses: []qgatest.Address{{IP: "127.0.0.1", Type: "ipv4", Prefix: 8}}})
				},
				Config:      config(`wait_for_address = true` + "\n  wait_timeout = \"1s\""),
				ExpectError: regexp.MustCompile(`(?s)No address appeared.*within\s+1s\s+\(interfaces:\s+lo\)`),
			},
		},
	})
}
