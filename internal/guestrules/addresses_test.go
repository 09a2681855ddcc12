package guestrules

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// testbedInterfaces is what the test bed guest reports, plus a container
// bridge and an APIPA address.
var testbedInterfaces = []qgaclient.Interface{
	{Name: "lo", HardwareAddress: "00:00:00:00:00:00", IPAddresses: []qgaclient.IPAddress{{Address: "127.0.0.1", Type: "ipv4", Prefix: 8}, {Address: "::1", Type: "ipv6", Prefix: 128}}},
	{Name: "eth0", HardwareAddress: "52:54:00:12:34:56", IPAddresses: []qgaclient.IPAddress{
		{Address: "10.0.2.15", Type: "ipv4", Prefix: 24},
		{Address: "fec0::5054:ff:fe12:3456", Type: "ipv6", Prefix: 64},
		{Address: "fe80::5054:ff:fe12:3456", Type: "ipv6", Prefix: 64},
	}},
	{Name: "eth1", HardwareAddress: "52:54:00:ab:cd:ef", IPAddresses: []qgaclient.IPAddress{
		{Address: "169.254.10.20", Type: "ipv4", Prefix: 16},
		{Address: "2001:db8::15", Type: "ipv6", Prefix: 64},
	}},
	{Name: "docker0", HardwareAddress: "02:42:ac:11:00:01", IPAddresses: []qgaclient.IPAddress{{Address: "172.17.0.1", Type: "ipv4", Prefix: 16}}},
}

func filter(t *testing.T, spec AddressFilterSpec) AddressFilter {
	t.Helper()
	f, err := NewAddressFilter(spec)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func names(a Addresses) []string {
	var out []string
	for _, i := range a.Interfaces {
		out = append(out, i.Name)
	}
	return out
}

func TestAddressFilterDefaults(t *testing.T) {
	got := filter(t, AddressFilterSpec{}).Apply(testbedInterfaces)
	if !reflect.DeepEqual(got.All, []string{"10.0.2.15", "2001:db8::15"}) || !reflect.DeepEqual(names(got), []string{"eth0", "eth1"}) {
		t.Errorf("default: global only, no loopback, no container bridge: %v %v", got.All, names(got))
	}
	if got.FirstIPv4() != "10.0.2.15" || got.FirstIPv6() != "2001:db8::15" {
		t.Errorf("first: %q %q", got.FirstIPv4(), got.FirstIPv6())
	}
}

func TestAddressFilters(t *testing.T) {
	for _, c := range []struct {
		name  string
		spec  AddressFilterSpec
		addrs []string
	}{
		{"site local on request", AddressFilterSpec{Scopes: []string{ScopeSiteLocal}}, []string{"fec0::5054:ff:fe12:3456"}},
		{"link local on request", AddressFilterSpec{Scopes: []string{ScopeLinkLocal}}, []string{"fe80::5054:ff:fe12:3456", "169.254.10.20"}},
		{"loopback on request", AddressFilterSpec{Scopes: []string{ScopeLoopback}}, []string{"127.0.0.1", "::1"}},
		{"family", AddressFilterSpec{Family: FamilyIPv6}, []string{"2001:db8::15"}},
		{"name glob", AddressFilterSpec{InterfaceNames: []string{"eth[0]"}, Scopes: Scopes}, []string{"10.0.2.15", "fec0::5054:ff:fe12:3456", "fe80::5054:ff:fe12:3456"}},
		{"mac any spelling", AddressFilterSpec{HardwareAddress: "52-54-00-12-34-56"}, []string{"10.0.2.15"}},
		{"cidr", AddressFilterSpec{CIDRs: []string{"2001:db8::/32"}}, []string{"2001:db8::15"}},
		{"no exclusions", AddressFilterSpec{ExcludeInterfaceNames: []string{}}, []string{"10.0.2.15", "2001:db8::15", "172.17.0.1"}},
		{"own exclusions", AddressFilterSpec{ExcludeInterfaceNames: []string{"eth*"}}, []string{"172.17.0.1"}},
	} {
		got := filter(t, c.spec).Apply(testbedInterfaces)
		if !reflect.DeepEqual(got.All, c.addrs) {
			t.Errorf("%s: %v", c.name, got.All)
		}
	}
}

func TestAddressFilterRefusesBadSpecs(t *testing.T) {
	for _, c := range []struct {
		spec AddressFilterSpec
		word string
	}{
		{AddressFilterSpec{Family: "ipv5"}, "address_family"},
		{AddressFilterSpec{Scopes: []string{"universe"}}, "scope"},
		{AddressFilterSpec{InterfaceNames: []string{"eth["}}, "glob"},
		{AddressFilterSpec{HardwareAddress: "52:54"}, "hardware_address"},
		{AddressFilterSpec{CIDRs: []string{"10.0.0.0"}}, "cidr"},
	} {
		if _, err := NewAddressFilter(c.spec); err == nil || !strings.Contains(err.Error(), c.word) {
			t.Errorf("%+v: %v", c.spec, err)
		}
	}
}

// fakeInterfaces answers from a list of successive answers; the last one
// repeats.
type fakeInterfaces struct {
	answers [][]qgaclient.Interface
	err     error
	calls   int
}

func (f *fakeInterfaces) Interfaces(context.Context) ([]qgaclient.Interface, error) {
	f.calls++
	if f.err != nil {
		return nil, f.err
	}
	return f.answers[min(f.calls, len(f.answers))-1], nil
}

func TestWaitForAddresses(t *testing.T) {
	booting := []qgaclient.Interface{{Name: "eth0", IPAddresses: []qgaclient.IPAddress{{Address: "fe80::1", Type: "ipv6", Prefix: 64}}}}
	r := &fakeInterfaces{answers: [][]qgaclient.Interface{booting, testbedInterfaces}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := WaitForAddresses(ctx, r, filter(t, AddressFilterSpec{Family: FamilyIPv4}), AddressWait{Count: 1})
	if err != nil || got.FirstIPv4() != "10.0.2.15" || r.calls != 2 {
		t.Fatalf("got %v, %v after %d looks", got.All, err, r.calls)
	}

	// Not enough before the deadline: the error lists what was seen.
	r = &fakeInterfaces{answers: [][]qgaclient.Interface{testbedInterfaces}}
	ctx, cancel = context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	_, err = WaitForAddresses(ctx, r, filter(t, AddressFilterSpec{}), AddressWait{Count: 2})
	if !errors.Is(err, ErrAddressesNotReady) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{"2 matching any address(es) wanted, 1 found", "eth0 [52:54:00:12:34:56]: 10.0.2.15/24 (global)", "fe80::5054:ff:fe12:3456/64 (link_local)", "docker0"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}

	// An agent error ends the wait at once.
	r = &fakeInterfaces{err: errors.New("agent gone")}
	if _, err := WaitForAddresses(context.Background(), r, filter(t, AddressFilterSpec{}), AddressWait{Count: 1}); err == nil || r.calls != 1 {
		t.Fatalf("err = %v after %d looks", err, r.calls)
	}
}
