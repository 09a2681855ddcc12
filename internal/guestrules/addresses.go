package guestrules

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"path"
	"slices"
	"strings"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Address scopes, as the kernel names them (ip -6 addr: "scope global",
// "scope site", "scope link", "scope host"). Private IPv4 (10/8, ...) and
// IPv6 ULA (fd00::/8) are global: other hosts of the network reach them.
const (
	ScopeGlobal    = "global"
	ScopeSiteLocal = "site_local" // fec0::/10, deprecated IPv6 site-local
	ScopeLinkLocal = "link_local" // fe80::/10, 169.254.0.0/16 (APIPA)
	ScopeLoopback  = "loopback"   // 127.0.0.0/8, ::1
)

// Scopes lists the scopes a filter can ask for.
var Scopes = []string{ScopeGlobal, ScopeSiteLocal, ScopeLinkLocal, ScopeLoopback}

// Address families.
const (
	FamilyAny  = "any"
	FamilyIPv4 = "ipv4"
	FamilyIPv6 = "ipv6"
)

// DefaultExcludedInterfaces are glob patterns of interfaces a guest's own
// software creates for containers and VMs: their addresses exist only
// inside the guest, and picking one is the most common way of getting a
// guest's address wrong.
var DefaultExcludedInterfaces = []string{
	"docker*", "br-*", "veth*", "cni*", "flannel*", "cali*", "vxlan*", "tunl*",
	"weave*", "kube-*", "cilium*", "lxcbr*", "lxdbr*", "virbr*", "podman*",
}

// ScopeOf returns an address's scope; "" for one that is no usable address
// (unspecified, multicast, unparseable).
func ScopeOf(ip netip.Addr) string {
	switch {
	case !ip.IsValid() || ip.IsUnspecified() || ip.IsMulticast():
		return ""
	case ip.IsLoopback():
		return ScopeLoopback
	case ip.IsLinkLocalUnicast():
		return ScopeLinkLocal
	case ip.Is6() && !ip.Is4In6() && netip.MustParsePrefix("fec0::/10").Contains(ip):
		return ScopeSiteLocal
	}
	return ScopeGlobal
}

// AddressFilterSpec is a filter as a user writes it.
type AddressFilterSpec struct {
	Family string   // ipv4, ipv6, any ("" is any)
	Scopes []string // nil: global only
	// InterfaceNames keeps only interfaces matching one of these globs
	// (path.Match syntax); nil keeps all.
	InterfaceNames []string
	// ExcludeInterfaceNames drops interfaces matching one of these globs;
	// nil means DefaultExcludedInterfaces, an empty list drops none.
	ExcludeInterfaceNames []string
	HardwareAddress       string   // only the NIC with this MAC, any spelling
	CIDRs                 []string // only addresses inside one of these
}

// AddressFilter is a checked AddressFilterSpec.
type AddressFilter struct {
	family  string
	scopes  []string
	names   []string
	exclude []string
	mac     net.HardwareAddr
	cidrs   []netip.Prefix
}

// NewAddressFilter checks a spec and names the option at fault, in the
// words both front ends use for their options.
func NewAddressFilter(s AddressFilterSpec) (AddressFilter, error) {
	f := AddressFilter{family: s.Family, scopes: s.Scopes, names: s.InterfaceNames, exclude: s.ExcludeInterfaceNames}
	if f.family == "" {
		f.family = FamilyAny
	}
	if !slices.Contains([]string{FamilyAny, FamilyIPv4, FamilyIPv6}, f.family) {
		return f, fmt.Errorf("address_family %q is not one of ipv4, ipv6, any", s.Family)
	}
	if f.scopes == nil {
		f.scopes = []string{ScopeGlobal}
	}
	for _, sc := range f.scopes {
		if !slices.Contains(Scopes, sc) {
			return f, fmt.Errorf("scope %q is not one of %s", sc, strings.Join(Scopes, ", "))
		}
	}
	if f.exclude == nil {
		f.exclude = DefaultExcludedInterfaces
	}
	for _, p := range append(slices.Clone(f.names), f.exclude...) {
		if _, err := path.Match(p, ""); err != nil {
			return f, fmt.Errorf("interface name pattern %q is not a valid glob (*, ?, [a-z]): %w", p, err)
		}
	}
	if s.HardwareAddress != "" {
		mac, err := net.ParseMAC(s.HardwareAddress)
		if err != nil {
			return f, fmt.Errorf("hardware_address %q is not a MAC address such as 52:54:00:12:34:56: %w", s.HardwareAddress, err)
		}
		f.mac = mac
	}
	for _, c := range s.CIDRs {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return f, fmt.Errorf("cidr %q is not a network such as 10.0.0.0/8 or fd00::/8: %w", c, err)
		}
		f.cidrs = append(f.cidrs, p.Masked())
	}
	return f, nil
}

// Family is the address family the filter keeps (ipv4, ipv6 or any).
func (f AddressFilter) Family() string { return f.family }

// FilteredInterface is an interface the filter kept, with the addresses it
// kept (possibly none).
type FilteredInterface struct {
	Name            string
	HardwareAddress string
	Addresses       []Address
}

// Address is one kept address.
type Address struct {
	Address string // canonical form (netip)
	Family  string // ipv4 or ipv6
	Prefix  int
	Scope   string
}

// Addresses is what a filter kept, in the guest's order.
type Addresses struct {
	Interfaces []FilteredInterface
	All        []string // every kept address, flattened
	IPv4, IPv6 []string // the kept addresses of each family
}

// FirstIPv4 is the first kept global IPv4 address, "" when there is none:
// the address to connect to.
func (a Addresses) FirstIPv4() string { return a.firstGlobal(FamilyIPv4) }

// FirstIPv6 is the first kept global IPv6 address, or "".
func (a Addresses) FirstIPv6() string { return a.firstGlobal(FamilyIPv6) }

func (a Addresses) firstGlobal(family string) string {
	for _, i := range a.Interfaces {
		for _, addr := range i.Addresses {
			if addr.Family == family && addr.Scope == ScopeGlobal {
				return addr.Address
			}
		}
	}
	return ""
}

// Count is how many addresses of a family were kept; FamilyAny: the larger
// of the two.
func (a Addresses) Count(family string) int {
	switch family {
	case FamilyIPv4:
		return len(a.IPv4)
	case FamilyIPv6:
		return len(a.IPv6)
	}
	return max(len(a.IPv4), len(a.IPv6))
}

// Apply keeps the interfaces and addresses the filter matches.
func (f AddressFilter) Apply(ifaces []qgaclient.Interface) Addresses {
	out := Addresses{Interfaces: []FilteredInterface{}, All: []string{}, IPv4: []string{}, IPv6: []string{}}
	for _, iface := range ifaces {
		if !f.keepsInterface(iface) {
			continue
		}
		fi := FilteredInterface{Name: iface.Name, HardwareAddress: iface.HardwareAddress, Addresses: []Address{}}
		for _, a := range iface.IPAddresses {
			addr, ok := f.keepsAddress(a)
			if !ok {
				continue
			}
			fi.Addresses = append(fi.Addresses, addr)
			out.All = append(out.All, addr.Address)
			if addr.Family == FamilyIPv4 {
				out.IPv4 = append(out.IPv4, addr.Address)
			} else {
				out.IPv6 = append(out.IPv6, addr.Address)
			}
		}
		out.Interfaces = append(out.Interfaces, fi)
	}
	return out
}

func (f AddressFilter) keepsInterface(iface qgaclient.Interface) bool {
	// The loopback interface holds only loopback addresses: listing it
	// empty would only be noise.
	if iface.Name == "lo" && !slices.Contains(f.scopes, ScopeLoopback) {
		return false
	}
	if f.mac != nil {
		mac, err := net.ParseMAC(iface.HardwareAddress)
		if err != nil || !slices.Equal(mac, f.mac) {
			return false
		}
	}
	if len(f.names) > 0 && !matchesAny(f.names, iface.Name) {
		return false
	}
	return !matchesAny(f.exclude, iface.Name)
}

func (f AddressFilter) keepsAddress(a qgaclient.IPAddress) (Address, bool) {
	ip, err := netip.ParseAddr(a.Address)
	if err != nil {
		return Address{}, false
	}
	ip = ip.Unmap()
	family := FamilyIPv6
	if ip.Is4() {
		family = FamilyIPv4
	}
	scope := ScopeOf(ip)
	if f.family != FamilyAny && family != f.family || !slices.Contains(f.scopes, scope) {
		return Address{}, false
	}
	if len(f.cidrs) > 0 && !slices.ContainsFunc(f.cidrs, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return Address{}, false
	}
	return Address{Address: ip.String(), Family: family, Prefix: a.Prefix, Scope: scope}, true
}

func matchesAny(patterns []string, name string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool {
		ok, _ := path.Match(p, name)
		return ok
	})
}

// Seen describes every interface and address the guest reported, with the
// scope of each, for an error that says why nothing matched.
func Seen(ifaces []qgaclient.Interface) string {
	if len(ifaces) == 0 {
		return "no interfaces"
	}
	parts := make([]string, 0, len(ifaces))
	for _, iface := range ifaces {
		var addrs []string
		for _, a := range iface.IPAddresses {
			ip, err := netip.ParseAddr(a.Address)
			scope := "invalid"
			if err == nil {
				scope = ScopeOf(ip.Unmap())
			}
			addrs = append(addrs, fmt.Sprintf("%s/%d (%s)", a.Address, a.Prefix, scope))
		}
		desc := iface.Name
		if iface.HardwareAddress != "" {
			desc += " [" + iface.HardwareAddress + "]"
		}
		if len(addrs) == 0 {
			addrs = []string{"no addresses"}
		}
		parts = append(parts, desc+": "+strings.Join(addrs, ", "))
	}
	return strings.Join(parts, "; ")
}

// ErrAddressesNotReady is the wait's error when its time ran out.
var ErrAddressesNotReady = errors.New("the guest does not have the addresses asked for")
