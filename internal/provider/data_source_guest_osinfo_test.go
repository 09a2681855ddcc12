package provider

import (
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

func TestAccGuestOSInfo(t *testing.T) {
	for _, g := range testGuests(t) {
		t.Run(g.name, func(t *testing.T) {
			ds := "data.qga_guest_osinfo.this"
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProviders,
				Steps: []resource.TestStep{{
					Config: g.provider() + `data "qga_guest_osinfo" "this" {` + "\n" + g.hcl + "\n}",
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("id"), knownvalue.StringExact("debian")),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("version_id"), knownvalue.StringExact("12")),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("pretty_name"), knownvalue.StringRegexp(regexp.MustCompile("bookworm"))),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("machine"), knownvalue.StringExact("x86_64")),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("kernel_release"), knownvalue.StringRegexp(regexp.MustCompile(`^\d+\.\d+`))),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("hostname"), knownvalue.StringExact("qga-testbed")),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("timezone"), knownvalue.StringRegexp(regexp.MustCompile(`.+`))),
						statecheck.ExpectKnownValue(ds, tfjsonpath.New("agent_version"), knownvalue.StringRegexp(regexp.MustCompile(`^7\.`))),
					},
				}},
			})
		})
	}
}

func TestAccGuestTargetValidation(t *testing.T) {
	g := testGuests(t)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      g.provider() + `data "qga_guest_osinfo" "x" {}`,
				ExpectError: regexp.MustCompile(`(?s)domain.*agent_socket`),
			},
			{
				Config:      `provider "qga" { call_timeout = "soon" }` + "\n" + `data "qga_guest_osinfo" "x" { domain = "x" }`,
				ExpectError: regexp.MustCompile(`(?s)Invalid\s+Time\s+Duration\s+String\s+Value.*call_timeout\s+=\s+"soon"`),
			},
			{
				Config:      g.provider() + `data "qga_guest_osinfo" "x" { domain = "no-such-domain-qga" }`,
				ExpectError: regexp.MustCompile(`(?s)no-such-domain-qga.*not found`),
			},
		},
	})
}
