package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// TestUnitGuestInterfaces: the default filters (global addresses, no
// loopback), a family and scopes, and a wait for an address that never
// comes.
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
					resource.TestCheckResourceAttr(ds, "addresses.#", "2"),
					resource.TestCheckResourceAttr(ds, "ipv4_address", "192.0.2.10"),
					resource.TestCheckResourceAttr(ds, "ipv6_address", "2001:db8::10"),
				),
			},
			{
				Config: config(`address_family = "ipv4"` + "\n  scope = [\"global\", \"loopback\"]"),
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
				Config:      config("wait_for = 1\n  timeouts {\n    read = \"1s\"\n  }"),
				ExpectError: regexp.MustCompile(`(?s)raise\s+timeouts\.read`),
			},
		},
	})
}
