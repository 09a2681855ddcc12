package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"
	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

// guest_interfaces returns the guest's addresses that pass the same
// filters as the provider's qga_guest_interfaces (guestrules), as facts,
// optionally waiting until enough of them are there: the address to reach
// a guest that has just booted.

type interfacesArgs struct {
	connectionArgs        `mapstructure:",squash"`
	AddressFamily         string   `mapstructure:"address_family"`
	Scope                 []string `mapstructure:"scope"`
	InterfaceNames        []string `mapstructure:"interface_names"`
	ExcludeInterfaceNames []string `mapstructure:"exclude_interface_names"`
	HardwareAddress       string   `mapstructure:"hardware_address"`
	CIDR                  []string `mapstructure:"cidr"`
	WaitFor               int      `mapstructure:"wait_for"`
	WaitTimeout           int      `mapstructure:"wait_timeout"`
}

// defaultAddressWait is wait_timeout's default, in seconds: the provider's
// default timeouts.read for the same wait.
const defaultAddressWait = 300

var guestInterfacesModule = &ansible.Module{
	Name: "guest_interfaces",
	Spec: withConnectionOptions(ansible.ArgSpec{Options: []ansible.Option{
		{Name: "address_family", Type: ansible.TypeStr, Default: guestrules.FamilyAny, Choices: []string{guestrules.FamilyAny, guestrules.FamilyIPv4, guestrules.FamilyIPv6}},
		{Name: "scope", Type: ansible.TypeList},
		{Name: "interface_names", Type: ansible.TypeList},
		{Name: "exclude_interface_names", Type: ansible.TypeList},
		{Name: "hardware_address", Type: ansible.TypeStr},
		{Name: "cidr", Type: ansible.TypeList},
		{Name: "wait_for", Type: ansible.TypeInt, Default: 0},
		{Name: "wait_timeout", Type: ansible.TypeInt, Default: defaultAddressWait},
	}}),
	Run: runGuestInterfaces,
}

func runGuestInterfaces(ctx context.Context, req *ansible.Request) (ansible.Result, error) {
	var args interfacesArgs
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if args.WaitFor < 0 || args.WaitTimeout <= 0 {
		return nil, fmt.Errorf("wait_for must be 0 or more and wait_timeout a positive number of seconds, got %d and %d", args.WaitFor, args.WaitTimeout)
	}
	filter, err := guestrules.NewAddressFilter(guestrules.AddressFilterSpec{
		Family: args.AddressFamily, Scopes: args.Scope, InterfaceNames: args.InterfaceNames,
		ExcludeInterfaceNames: args.ExcludeInterfaceNames, HardwareAddress: args.HardwareAddress, CIDRs: args.CIDR,
	})
	if err != nil {
		return nil, err
	}

	g, err := openGuest(ctx, args.connectionArgs)
	if err != nil {
		return nil, err
	}
	defer g.Close()

	wctx, cancel := context.WithTimeout(ctx, time.Duration(args.WaitTimeout)*time.Second)
	defer cancel()
	got, err := guestrules.WaitForAddresses(wctx, g.client, filter, guestrules.AddressWait{Count: args.WaitFor})
	if errors.Is(err, guestrules.ErrAddressesNotReady) {
		return nil, fmt.Errorf("%w; check the guest's network configuration and the filters, or raise wait_timeout", err)
	}
	if err != nil {
		return nil, err
	}
	return ansible.Result{"changed": false, "ansible_facts": addressFacts(got)}, nil
}

// addressFacts are the facts of what a filter kept; guest_osinfo gives
// the same ones for the default filter.
func addressFacts(got guestrules.Addresses) map[string]any {
	return map[string]any{
		"qga_matching_interfaces": interfacesFact(got.Interfaces),
		"qga_addresses":           got.All,
		"qga_ipv4_addresses":      got.IPv4,
		"qga_ipv6_addresses":      got.IPv6,
		"qga_ipv4_address":        got.FirstIPv4(),
		"qga_ipv6_address":        got.FirstIPv6(),
	}
}

func interfacesFact(ifaces []guestrules.FilteredInterface) []map[string]any {
	out := []map[string]any{}
	for _, iface := range ifaces {
		addrs := []map[string]any{}
		for _, a := range iface.Addresses {
			addrs = append(addrs, map[string]any{"ip_address": a.Address, "ip_address_type": a.Family, "prefix": a.Prefix, "scope": a.Scope})
		}
		out = append(out, map[string]any{"name": iface.Name, "hardware_address": iface.HardwareAddress, "ip_addresses": addrs})
	}
	return out
}
