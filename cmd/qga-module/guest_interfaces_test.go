package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

// testbedLikeInterfaces is what the test bed guest reports, plus a
// container bridge and a second NIC.
var testbedLikeInterfaces = []map[string]any{
	{"name": "lo", "hardware-address": "00:00:00:00:00:00", "ip-addresses": []map[string]any{
		{"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8}, {"ip-address": "::1", "ip-address-type": "ipv6", "prefix": 128}}},
	{"name": "eth0", "hardware-address": "52:54:00:12:34:56", "ip-addresses": []map[string]any{
		{"ip-address": "10.0.2.15", "ip-address-type": "ipv4", "prefix": 24},
		{"ip-address": "fec0::5054:ff:fe12:3456", "ip-address-type": "ipv6", "prefix": 64},
		{"ip-address": "fe80::5054:ff:fe12:3456", "ip-address-type": "ipv6", "prefix": 64}}},
	{"name": "docker0", "hardware-address": "02:42:ac:11:00:01", "ip-addresses": []map[string]any{
		{"ip-address": "172.17.0.1", "ip-address-type": "ipv4", "prefix": 16}}},
	{"name": "ens4", "hardware-address": "52:54:00:ab:cd:ef", "ip-addresses": []map[string]any{
		{"ip-address": "2001:db8::15", "ip-address-type": "ipv6", "prefix": 64}}},
}

func interfacesTask(a *fakeAgent, options map[string]any) map[string]any {
	return socketTask(a, "guest_interfaces", options)
}

func TestInterfacesFacts(t *testing.T) {
	a := newFakeAgent(t)
	a.setInterfaces(t, testbedLikeInterfaces)
	for _, c := range []struct {
		name        string
		options     map[string]any
		addrs       []string
		ipv4, ipv6  string
		interfaceNo int
	}{
		{"defaults", nil, []string{"10.0.2.15", "2001:db8::15"}, "10.0.2.15", "2001:db8::15", 2},
		{"site local", map[string]any{"scope": "site_local"}, []string{"fec0::5054:ff:fe12:3456"}, "", "", 2},
		{"no exclusions", map[string]any{"exclude_interface_names": []any{}, "address_family": "ipv4"}, []string{"10.0.2.15", "172.17.0.1"}, "10.0.2.15", "", 3},
		{"by MAC", map[string]any{"hardware_address": "52-54-00-AB-CD-EF"}, []string{"2001:db8::15"}, "", "2001:db8::15", 1},
		{"by name", map[string]any{"interface_names": "eth*,lo", "scope": []any{"global", "loopback"}}, []string{"127.0.0.1", "::1", "10.0.2.15"}, "10.0.2.15", "", 2},
		{"cidr", map[string]any{"cidr": []any{"10.0.0.0/8"}}, []string{"10.0.2.15"}, "10.0.2.15", "", 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := runTask(t, "AnsiballZ_guest_interfaces", interfacesTask(a, c.options)).mustSucceed(t)
			facts, _ := out.Result["ansible_facts"].(map[string]any)
			if got := stringList(t, facts["qga_addresses"]); !slices.Equal(got, c.addrs) || out.changed() {
				t.Errorf("qga_addresses = %q, changed %v", got, out.changed())
			}
			if facts["qga_ipv4_address"] != c.ipv4 || facts["qga_ipv6_address"] != c.ipv6 {
				t.Errorf("first addresses %v %v", facts["qga_ipv4_address"], facts["qga_ipv6_address"])
			}
			if ifaces, _ := facts["qga_matching_interfaces"].([]any); len(ifaces) != c.interfaceNo {
				t.Errorf("qga_matching_interfaces = %v", facts["qga_matching_interfaces"])
			}
		})
	}
}

func TestInterfacesWaitFailsWithWhatWasSeen(t *testing.T) {
	a := newFakeAgent(t)
	a.setInterfaces(t, testbedLikeInterfaces)
	out := runTask(t, "AnsiballZ_guest_interfaces", interfacesTask(a, map[string]any{"wait_for": 2, "wait_timeout": 1, "address_family": "ipv4"}))
	out.mustFail(t, "2 matching ipv4 address(es) wanted, 1 found")
	for _, want := range []string{"eth0 [52:54:00:12:34:56]: 10.0.2.15/24 (global)", "fe80::5054:ff:fe12:3456/64 (link_local)", "docker0", "raise wait_timeout"} {
		if !strings.Contains(out.msg(), want) {
			t.Errorf("msg lacks %q: %s", want, out.msg())
		}
	}
}

func TestInterfacesBadFilters(t *testing.T) {
	a := newFakeAgent(t)
	for option, value := range map[string]any{"scope": "universe", "hardware_address": "52:54", "cidr": "10.0.0.0", "interface_names": "eth["} {
		runTask(t, "AnsiballZ_guest_interfaces", interfacesTask(a, map[string]any{option: value})).mustFail(t, "")
	}
	if a.callCount("guest-network-get-interfaces") != 0 {
		t.Error("a bad filter still asked the guest")
	}
}

// The documentation names the default exclusions the code uses.
func TestInterfacesDocListsDefaultExclusions(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join(repoRootDir(t), "ansible", "collection", "plugins", "modules", "guest_interfaces.py"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range guestrules.DefaultExcludedInterfaces {
		if !strings.Contains(string(doc), "C("+p+")") {
			t.Errorf("guest_interfaces.py does not list the default exclusion %s", p)
		}
	}
}
