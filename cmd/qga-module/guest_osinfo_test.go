package main

import (
	"slices"
	"testing"
)

func TestOSInfoFacts(t *testing.T) {
	a := newFakeAgent(t)
	out := runTask(t, "AnsiballZ_guest_osinfo", task("guest_osinfo", map[string]any{"agent_socket": a.socket, "_ansible_check_mode": true})).mustSucceed(t)
	if out.changed() {
		t.Errorf("osinfo reports a change: %s", out.Raw)
	}
	facts, _ := out.Result["ansible_facts"].(map[string]any)
	osinfo, _ := facts["qga_osinfo"].(map[string]any)
	if osinfo["pretty_name"] != "Debian GNU/Linux 12 (bookworm)" || osinfo["version_id"] != "12" {
		t.Errorf("qga_osinfo = %v", osinfo)
	}
	if facts["qga_hostname"] != "fakeguest" || facts["qga_agent_version"] != "7.2.0-fake" {
		t.Errorf("facts = %v", facts)
	}
	if tz, _ := facts["qga_timezone"].(map[string]any); tz["zone"] != "UTC" {
		t.Errorf("qga_timezone = %v", facts["qga_timezone"])
	}
	if got := stringList(t, facts["qga_ipv4_addresses"]); !slices.Equal(got, []string{"192.0.2.10"}) {
		t.Errorf("qga_ipv4_addresses = %q", got)
	}
	if got := stringList(t, facts["qga_ipv6_addresses"]); !slices.Equal(got, []string{"2001:db8::10"}) {
		t.Errorf("qga_ipv6_addresses = %q", got)
	}
	ifaces, _ := facts["qga_interfaces"].([]any)
	if len(ifaces) != 2 {
		t.Fatalf("qga_interfaces = %v", facts["qga_interfaces"])
	}
	eth0, _ := ifaces[1].(map[string]any)
	if eth0["hardware_address"] != "52:54:00:00:00:01" || len(eth0["ip_addresses"].([]any)) != 3 {
		t.Errorf("eth0 = %v", eth0)
	}
}

func TestOSInfoWithoutInterfacesWarns(t *testing.T) {
	a := newFakeAgent(t)
	a.Disable("guest-network-get-interfaces")
	out := runTask(t, "AnsiballZ_guest_osinfo", task("guest_osinfo", map[string]any{"agent_socket": a.socket})).mustSucceed(t)
	facts, _ := out.Result["ansible_facts"].(map[string]any)
	if _, ok := facts["qga_interfaces"]; ok || facts["qga_hostname"] != "fakeguest" {
		t.Errorf("facts = %v", facts)
	}
	if w, _ := out.Result["warnings"].([]any); len(w) != 1 {
		t.Errorf("warnings = %v", out.Result["warnings"])
	}
}

func TestOSInfoUnreachableGuestFails(t *testing.T) {
	out := runTask(t, "AnsiballZ_guest_osinfo", task("guest_osinfo", map[string]any{"agent_socket": t.TempDir() + "/none.sock", "agent_timeout": 1}))
	out.mustFail(t, "none.sock")
}
