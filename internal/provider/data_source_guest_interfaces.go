package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

var _ datasource.DataSourceWithConfigure = (*guestInterfacesDataSource)(nil)

// guestInterfacesDataSource lists the guest's network interfaces and the
// addresses that pass its filters, optionally waiting until enough of them
// are there (a guest that just booted gets its DHCP lease a little after
// its agent starts). The filters and the wait are guestrules', shared with
// the Ansible module guest_interfaces.
type guestInterfacesDataSource struct{ pd *providerData }

type guestInterfacesModel struct {
	guestRef
	AddressFamily         types.String     `tfsdk:"address_family"`
	Scope                 types.List       `tfsdk:"scope"`
	InterfaceNames        types.List       `tfsdk:"interface_names"`
	ExcludeInterfaceNames types.List       `tfsdk:"exclude_interface_names"`
	HardwareAddress       types.String     `tfsdk:"hardware_address"`
	CIDR                  types.List       `tfsdk:"cidr"`
	WaitFor               types.Int64      `tfsdk:"wait_for"`
	Timeouts              timeouts.Value   `tfsdk:"timeouts"`
	Interfaces            []interfaceModel `tfsdk:"interfaces"`
	Addresses             []string         `tfsdk:"addresses"`
	IPv4Address           types.String     `tfsdk:"ipv4_address"`
	IPv6Address           types.String     `tfsdk:"ipv6_address"`
}

type interfaceModel struct {
	Name            string         `tfsdk:"name"`
	HardwareAddress string         `tfsdk:"hardware_address"`
	IPAddresses     []addressModel `tfsdk:"ip_addresses"`
}

type addressModel struct {
	Address string `tfsdk:"address"`
	Family  string `tfsdk:"family"`
	Prefix  int64  `tfsdk:"prefix"`
	Scope   string `tfsdk:"scope"`
}

// defaultAddressWait bounds wait_for when the timeouts block sets no read.
const defaultAddressWait = 5 * time.Minute

func newGuestInterfacesDataSource() datasource.DataSource { return &guestInterfacesDataSource{} }

func (d *guestInterfacesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_interfaces"
}

func (d *guestInterfacesDataSource) Schema(ctx context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Network interfaces of a guest with their MAC and IP addresses, as the QEMU guest agent reports them (guest-network-get-interfaces), " +
			"filtered to the addresses other hosts can reach: by default global addresses only (no loopback, no `fe80::`/`169.254.x` link-local, no `fec0::` site-local), " +
			"and no container or VM bridges of the guest's own (`docker0`, `cni0`, `flannel.1`, `virbr0`, `veth...`). " +
			"`ipv4_address` is then the address to connect to: `connection { host = data.qga_guest_interfaces.x.ipv4_address }`. " +
			"Works without any network access to the guest. The Ansible module `qgatools.qga.guest_interfaces` takes the same filters.",
		Attributes: withAttributes(dataSourceGuestAttributes(), map[string]schema.Attribute{
			"address_family": schema.StringAttribute{
				Optional: true, Description: "Only addresses of this family: `ipv4`, `ipv6` or `any` (the default).",
				Validators: []validator.String{stringvalidator.OneOf(guestrules.FamilyAny, guestrules.FamilyIPv4, guestrules.FamilyIPv6)},
			},
			"scope": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Address scopes to keep: `global` (the default, private networks such as 10.0.0.0/8 and `fd00::/8` included), " +
					"`site_local` (`fec0::/10`), `link_local` (`fe80::/10`, `169.254.0.0/16`), `loopback` (`127.0.0.0/8`, `::1`; the `lo` interface is listed only with it).",
				Validators: []validator.List{listvalidator.ValueStringsAre(stringvalidator.OneOf(guestrules.Scopes...)), listvalidator.SizeAtLeast(1)},
			},
			"interface_names": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Only interfaces whose name matches one of these glob patterns (`*`, `?`, `[a-z]`), e.g. `[\"eth*\", \"ens*\"]`. Default: all.",
			},
			"exclude_interface_names": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Leave out interfaces whose name matches one of these glob patterns. Default: bridges and tunnels that the guest's own container and VM software creates, `" +
					strings.Join(guestrules.DefaultExcludedInterfaces, "`, `") + "`. Set `[]` to leave out none.",
			},
			"hardware_address": schema.StringAttribute{
				Optional: true, Description: "Only the interface with this MAC address (any spelling: `52:54:00:12:34:56`, `52-54-00-12-34-56`), e.g. the one libvirt gave the domain's NIC.",
			},
			"cidr": schema.ListAttribute{
				Optional: true, ElementType: types.StringType,
				Description: "Only addresses inside one of these networks, e.g. `[\"10.0.0.0/8\"]`.",
			},
			"wait_for": schema.Int64Attribute{
				Optional: true,
				Description: "Wait until this many addresses pass the filters, of `address_family` (with `any`: of either family), " +
					"for at most the `timeouts` block's `read` (default 5m), which also bounds the wait for the agent; when it passes, the read fails with a list of every address seen and its scope. Default 0: no wait.",
				Validators: []validator.Int64{int64validator.AtLeast(0)},
			},
			"interfaces": schema.ListNestedAttribute{
				Computed: true, Description: "Interfaces that pass the interface filters, in the guest's order, each with the addresses that pass the address filters (possibly none).",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":             schema.StringAttribute{Computed: true, Description: "Interface name in the guest, e.g. `eth0`."},
					"hardware_address": schema.StringAttribute{Computed: true, Description: "MAC address; empty when the guest reports none."},
					"ip_addresses": schema.ListNestedAttribute{
						Computed: true, Description: "Addresses that pass the filters.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"address": schema.StringAttribute{Computed: true, Description: "The IP address."},
							"family":  schema.StringAttribute{Computed: true, Description: "`ipv4` or `ipv6`."},
							"prefix":  schema.Int64Attribute{Computed: true, Description: "Prefix length."},
							"scope":   schema.StringAttribute{Computed: true, Description: "`global`, `site_local`, `link_local` or `loopback`."},
						}},
					},
				}},
			},
			"addresses":    schema.ListAttribute{Computed: true, ElementType: types.StringType, Description: "All addresses that pass the filters, flattened."},
			"ipv4_address": schema.StringAttribute{Computed: true, Description: "The first IPv4 address that passes the filters and is global, in the guest's order; empty when there is none."},
			"ipv6_address": schema.StringAttribute{Computed: true, Description: "The first IPv6 address that passes the filters and is global; empty when there is none."},
		}),
		Blocks: map[string]schema.Block{"timeouts": timeouts.BlockWithOpts(ctx, timeouts.Opts{
			ReadDescription: "How long the read may take, as a Go duration (e.g. `90s`, `10m`): the wait for the guest's agent (instead of the provider's `agent_timeout`) and for `wait_for`'s addresses. " +
				"Unset: the agent is waited for up to `agent_timeout`, and `wait_for` up to 5m.",
		})},
	}
}

func (d *guestInterfacesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configured(req.ProviderData, &resp.Diagnostics)
}

func (d *guestInterfacesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m guestInterfacesModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	filter := d.filter(ctx, m, &resp.Diagnostics)
	// An entry bounds the whole read, the wait for the agent included, as
	// on the resources; without one, wait_for waits up to
	// defaultAddressWait and the agent up to agent_timeout.
	entry, diags := m.Timeouts.Read(ctx, unsetTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() || !requireKnownURI(d.pd, m.guestRef, &resp.Diagnostics) {
		return
	}
	wait := defaultAddressWait
	if entry != unsetTimeout {
		wait = entry
	}
	ctx, end := boundOp(ctx, opRead, entry, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	c := d.pd.connect(ctx, m.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	got, err := guestrules.WaitForAddresses(wctx, c, filter, guestrules.AddressWait{Count: int(m.WaitFor.ValueInt64()), Progress: func(waited time.Duration, have int) {
		tflog.Debug(ctx, "waiting for guest addresses", map[string]any{"waited": waited.String(), "matching": have})
	}})
	switch {
	case errors.Is(err, guestrules.ErrAddressesNotReady):
		if l := opLimitOf(ctx); l != nil {
			l.explained = true // the message below says to raise timeouts.read
		}
		resp.Diagnostics.AddError("Guest addresses not ready",
			fmt.Sprintf("%s: %v. Check the guest's network configuration and the filters, or raise timeouts.read.", c.Target(), err))
		return
	case err != nil:
		agentError(&resp.Diagnostics, "reading the guest's network interfaces", err)
		return
	}
	m.Interfaces, m.Addresses = interfaceModels(got), got.All
	m.IPv4Address, m.IPv6Address = types.StringValue(got.FirstIPv4()), types.StringValue(got.FirstIPv6())
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// filter builds the shared filter from the configuration.
func (d *guestInterfacesDataSource) filter(ctx context.Context, m guestInterfacesModel, diags *diag.Diagnostics) guestrules.AddressFilter {
	spec := guestrules.AddressFilterSpec{
		Family:                m.AddressFamily.ValueString(),
		Scopes:                listStrings(ctx, m.Scope, diags),
		InterfaceNames:        listStrings(ctx, m.InterfaceNames, diags),
		ExcludeInterfaceNames: listStrings(ctx, m.ExcludeInterfaceNames, diags),
		HardwareAddress:       m.HardwareAddress.ValueString(),
		CIDRs:                 listStrings(ctx, m.CIDR, diags),
	}
	if !m.ExcludeInterfaceNames.IsNull() && spec.ExcludeInterfaceNames == nil {
		spec.ExcludeInterfaceNames = []string{} // [] given: leave out none
	}
	f, err := guestrules.NewAddressFilter(spec)
	if err != nil {
		diags.AddError("Invalid address filter", err.Error())
	}
	return f
}

// interfaceModels maps what the filter kept to the schema's form.
func interfaceModels(got guestrules.Addresses) []interfaceModel {
	out := make([]interfaceModel, 0, len(got.Interfaces))
	for _, i := range got.Interfaces {
		im := interfaceModel{Name: i.Name, HardwareAddress: i.HardwareAddress, IPAddresses: make([]addressModel, 0, len(i.Addresses))}
		for _, a := range i.Addresses {
			im.IPAddresses = append(im.IPAddresses, addressModel{Address: a.Address, Family: a.Family, Prefix: int64(a.Prefix), Scope: a.Scope})
		}
		out = append(out, im)
	}
	return out
}
