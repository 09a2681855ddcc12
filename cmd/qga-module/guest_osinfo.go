package main

import (
	"context"
	"fmt"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// guest_osinfo gathers what the agent knows about the guest and returns it
// as facts, for later tasks: ansible_facts.qga_osinfo.pretty_name,
// ansible_facts.qga_ipv4_addresses, ...
//
// Fact names take qemu-ga's field names with "-" turned into "_", so that
// they work with Jinja's dot syntax.

type osInfoArgs struct {
	connectionArgs `mapstructure:",squash"`
}

var guestOSInfoModule = &ansible.Module{
	Name: "guest_osinfo",
	Spec: withConnectionOptions(ansible.ArgSpec{}),
	Run:  runGuestOSInfo,
}

func runGuestOSInfo(ctx context.Context, req *ansible.Request) (ansible.Result, error) {
	var args osInfoArgs
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	g, err := openGuest(ctx, args.connectionArgs)
	if err != nil {
		return nil, err
	}
	defer g.Close()

	facts := map[string]any{}
	// Each part is optional: an agent with one of these commands disabled
	// still gives the others, and the task warns instead of failing.
	parts := []struct {
		name   string
		gather func(context.Context) error
	}{
		{"agent version", func(ctx context.Context) error {
			info, err := g.client.Info(ctx)
			if err == nil {
				facts["qga_agent_version"] = info.Version
			}
			return err
		}},
		{"operating system", func(ctx context.Context) error {
			info, err := g.client.OSInfo(ctx)
			if err == nil {
				facts["qga_osinfo"] = osInfoFact(info)
			}
			return err
		}},
		{"host name", func(ctx context.Context) error {
			name, err := g.client.Hostname(ctx)
			if err == nil {
				facts["qga_hostname"] = name
			}
			return err
		}},
		{"time zone", func(ctx context.Context) error {
			tz, err := g.client.Timezone(ctx)
			if err == nil {
				facts["qga_timezone"] = map[string]any{"zone": tz.Zone, "offset": tz.Offset}
			}
			return err
		}},
		{"network interfaces", func(ctx context.Context) error {
			ifaces, err := g.client.Interfaces(ctx)
			if err == nil {
				facts["qga_interfaces"] = interfacesFact(ifaces)
				facts["qga_ipv4_addresses"], facts["qga_ipv6_addresses"] = globalAddresses(ifaces)
			}
			return err
		}},
	}
	for _, part := range parts {
		cctx, cancel := g.call(ctx)
		err := part.gather(cctx)
		cancel()
		switch {
		case err == nil:
		case unavailable(err):
			req.Warn("no %s facts: %v", part.name, err)
		default:
			return nil, fmt.Errorf("reading the guest's %s: %w", part.name, err)
		}
	}
	return ansible.Result{"changed": false, "ansible_facts": facts}, nil
}

func osInfoFact(os *qgaclient.OSInfo) map[string]any {
	return map[string]any{
		"id": os.ID, "name": os.Name, "pretty_name": os.PrettyName,
		"version": os.Version, "version_id": os.VersionID,
		"variant": os.Variant, "variant_id": os.VariantID,
		"kernel_release": os.KernelRelease, "kernel_version": os.KernelVersion,
		"machine": os.Machine,
	}
}

func interfacesFact(ifaces []qgaclient.Interface) []map[string]any {
	out := []map[string]any{}
	for _, iface := range ifaces {
		addrs := []map[string]any{}
		for _, a := range iface.IPAddresses {
			addrs = append(addrs, map[string]any{"ip_address": a.Address, "ip_address_type": a.Type, "prefix": a.Prefix})
		}
		out = append(out, map[string]any{"name": iface.Name, "hardware_address": iface.HardwareAddress, "ip_addresses": addrs})
	}
	return out
}

// reachableAddresses is the filter of the qga_ipv4_addresses and
// qga_ipv6_addresses facts: the addresses other hosts could reach the guest
// on, leaving out loopback and link-local ones (guestrules' scopes), what a
// later task (e.g. add_host) usually wants.
var reachableAddresses = mustFilter(guestrules.AddressFilterSpec{
	Scopes: []string{guestrules.ScopeGlobal, guestrules.ScopeSiteLocal}, ExcludeInterfaceNames: []string{},
})

func mustFilter(spec guestrules.AddressFilterSpec) guestrules.AddressFilter {
	f, err := guestrules.NewAddressFilter(spec)
	if err != nil {
		panic(err)
	}
	return f
}

func globalAddresses(ifaces []qgaclient.Interface) (v4, v6 []string) {
	got := reachableAddresses.Apply(ifaces)
	return got.IPv4, got.IPv6
}
