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
				facts["qga_interfaces"] = interfacesFact(everyAddress.Apply(ifaces).Interfaces)
				// The addresses other hosts can reach, as guest_interfaces
				// and the provider's qga_guest_interfaces give them by default.
				reachable := defaultAddresses.Apply(ifaces)
				facts["qga_ipv4_addresses"], facts["qga_ipv6_addresses"] = reachable.IPv4, reachable.IPv6
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

var (
	// everyAddress keeps every interface and usable address: the
	// qga_interfaces fact is what the agent reports.
	everyAddress = mustFilter(guestrules.AddressFilterSpec{Scopes: guestrules.Scopes, ExcludeInterfaceNames: []string{}})
	// defaultAddresses is the filter's default: global addresses, no
	// container or VM bridges of the guest's own.
	defaultAddresses = mustFilter(guestrules.AddressFilterSpec{})
)

func mustFilter(spec guestrules.AddressFilterSpec) guestrules.AddressFilter {
	f, err := guestrules.NewAddressFilter(spec)
	if err != nil {
		panic(err)
	}
	return f
}
