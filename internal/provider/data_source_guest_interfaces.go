package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

var _ datasource.DataSourceWithConfigure = (*guestInterfacesDataSource)(nil)

// guestInterfacesDataSource lists the guest's network interfaces and
// addresses, optionally waiting until an address appears (a guest that just
// booted gets its DHCP lease a little after its agent starts).
type guestInterfacesDataSource struct{ pd *providerData }

type guestInterfacesModel struct {
	guestRef
	AddressFamily   types.String         `tfsdk:"address_family"`
	IncludeLoopback types.Bool           `tfsdk:"include_loopback"`
	WaitForAddress  types.Bool           `tfsdk:"wait_for_address"`
	WaitTimeout     timetypes.GoDuration `tfsdk:"wait_timeout"`
	Interfaces      []interfaceModel     `tfsdk:"interfaces"`
	Addresses       []string             `tfsdk:"addresses"`
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
}

func newGuestInterfacesDataSource() datasource.DataSource { return &guestInterfacesDataSource{} }

func (d *guestInterfacesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_interfaces"
}

func (d *guestInterfacesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Network interfaces of a guest with their MAC and IP addresses, as the QEMU guest agent reports them (guest-network-get-interfaces). Works without any network access to the guest.",
		Attributes: withAttributes(dataSourceGuestAttributes(), map[string]schema.Attribute{
			"address_family": schema.StringAttribute{
				Optional: true, Description: "Only addresses of this family: `ipv4`, `ipv6` or `any` (the default).",
				Validators: []validator.String{stringvalidator.OneOf("any", "ipv4", "ipv6")},
			},
			"include_loopback": schema.BoolAttribute{Optional: true, Description: "Include the loopback interface and addresses (127.0.0.0/8, ::1). Default false."},
			"wait_for_address": schema.BoolAttribute{
				Optional: true, Description: "Wait until at least one address (of `address_family`, not loopback unless included) appears, up to `wait_timeout`. Default false.",
			},
			"wait_timeout": schema.StringAttribute{
				Optional: true, Description: "How long `wait_for_address` waits, as a Go duration. Default `" + durationText(defaultWaitTimeout) + "`.",
				CustomType: durationType, Validators: durationValidators,
			},
			"interfaces": schema.ListNestedAttribute{
				Computed: true, Description: "Interfaces, in the guest's order.",
				NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
					"name":             schema.StringAttribute{Computed: true, Description: "Interface name in the guest, e.g. `eth0`."},
					"hardware_address": schema.StringAttribute{Computed: true, Description: "MAC address; empty when the guest reports none."},
					"ip_addresses": schema.ListNestedAttribute{
						Computed: true, Description: "Addresses that pass the filters.",
						NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
							"address": schema.StringAttribute{Computed: true, Description: "The IP address."},
							"family":  schema.StringAttribute{Computed: true, Description: "`ipv4` or `ipv6`."},
							"prefix":  schema.Int64Attribute{Computed: true, Description: "Prefix length."},
						}},
					},
				}},
			},
			"addresses": schema.ListAttribute{Computed: true, ElementType: types.StringType, Description: "All addresses that pass the filters, flattened."},
		}),
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
	family := m.AddressFamily.ValueString()
	if family == "" {
		family = "any"
	}
	// Validated at plan time too, unless it was unknown then.
	wait, ok := durationValue(m.WaitTimeout, "wait_timeout", defaultWaitTimeout, &resp.Diagnostics)
	if !ok {
		return
	}
	if !requireKnownURI(d.pd, m.guestRef, &resp.Diagnostics) {
		return
	}
	c := d.pd.connect(ctx, m.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	start := time.Now()
	for pause := 500 * time.Millisecond; ; pause = min(pause*2, 5*time.Second) {
		ifaces, err := c.Interfaces(ctx)
		if err != nil {
			agentError(&resp.Diagnostics, "reading the guest's network interfaces", err)
			return
		}
		m.Interfaces, m.Addresses = filterInterfaces(ifaces, family, m.IncludeLoopback.ValueBool())
		if !m.WaitForAddress.ValueBool() || len(m.Addresses) > 0 {
			break
		}
		if time.Since(start) > wait {
			resp.Diagnostics.AddError("No address appeared",
				fmt.Sprintf("%s: no %s address appeared within %s (interfaces: %s). Check the guest's network configuration, or raise wait_timeout.",
					c.Target(), family, wait, interfaceNames(ifaces)))
			return
		}
		tflog.Debug(ctx, "waiting for a guest address", map[string]any{"waited": time.Since(start).String()})
		select {
		case <-ctx.Done():
			resp.Diagnostics.AddError("Cancelled", "waiting for a guest address: "+ctx.Err().Error())
			return
		case <-time.After(pause):
		}
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func filterInterfaces(ifaces []qgaclient.Interface, family string, loopback bool) ([]interfaceModel, []string) {
	out := []interfaceModel{}
	addrs := []string{}
	for _, i := range ifaces {
		if i.Name == "lo" && !loopback {
			continue
		}
		im := interfaceModel{Name: i.Name, HardwareAddress: i.HardwareAddress, IPAddresses: []addressModel{}}
		for _, a := range i.IPAddresses {
			if family != "any" && a.Type != family {
				continue
			}
			if !loopback && (a.Address == "::1" || strings.HasPrefix(a.Address, "127.")) {
				continue
			}
			im.IPAddresses = append(im.IPAddresses, addressModel{Address: a.Address, Family: a.Type, Prefix: int64(a.Prefix)})
			addrs = append(addrs, a.Address)
		}
		out = append(out, im)
	}
	return out, addrs
}

func interfaceNames(ifaces []qgaclient.Interface) string {
	if len(ifaces) == 0 {
		return "none"
	}
	names := make([]string, len(ifaces))
	for i, x := range ifaces {
		names[i] = x.Name
	}
	return strings.Join(names, ", ")
}
