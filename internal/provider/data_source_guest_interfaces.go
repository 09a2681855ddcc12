package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

var _ datasource.DataSourceWithConfigure = (*guestInterfacesDataSource)(nil)

// guestInterfacesDataSource lists the guest's network interfaces and
// addresses, optionally waiting until an address appears (a guest that just
// booted gets its DHCP lease a little after its agent starts).
type guestInterfacesDataSource struct{ pd *providerData }

type guestInterfacesModel struct {
	guestRef
	AddressFamily   types.String     `tfsdk:"address_family"`
	IncludeLoopback types.Bool       `tfsdk:"include_loopback"`
	WaitForAddress  types.Bool       `tfsdk:"wait_for_address"`
	WaitTimeout     types.String     `tfsdk:"wait_timeout"`
	Interfaces      []interfaceModel `tfsdk:"interfaces"`
	Addresses       []string         `tfsdk:"addresses"`
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
				Optional: true, Description: "How long `wait_for_address` waits, as a Go duration. Default `5m`.",
				Validators: []validator.String{durationValidator{}},
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
	wait, ok := parseTimeout(m.WaitTimeout, "wait_timeout", 5*time.Minute, &resp.Diagnostics)
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
	scopes := []string{guestrules.ScopeGlobal, guestrules.ScopeSiteLocal, guestrules.ScopeLinkLocal}
	if m.IncludeLoopback.ValueBool() {
		scopes = append(scopes, guestrules.ScopeLoopback)
	}
	filter, err := guestrules.NewAddressFilter(guestrules.AddressFilterSpec{Family: family, Scopes: scopes, ExcludeInterfaceNames: []string{}})
	if err != nil {
		resp.Diagnostics.AddError("Invalid address filter", err.Error())
		return
	}
	want := 0
	if m.WaitForAddress.ValueBool() {
		want = 1
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	got, err := guestrules.WaitForAddresses(wctx, c, filter, guestrules.AddressWait{Count: want, Progress: func(waited time.Duration, _ int) {
		tflog.Debug(ctx, "waiting for a guest address", map[string]any{"waited": waited.String()})
	}})
	switch {
	case errors.Is(err, guestrules.ErrAddressesNotReady):
		resp.Diagnostics.AddError("No address appeared",
			fmt.Sprintf("%s: %v. Check the guest's network configuration, or raise wait_timeout.", c.Target(), err))
		return
	case err != nil:
		agentError(&resp.Diagnostics, "reading the guest's network interfaces", err)
		return
	}
	m.Interfaces, m.Addresses = interfaceModels(got), got.All
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// interfaceModels maps what the filter kept to the schema's form.
func interfaceModels(got guestrules.Addresses) []interfaceModel {
	out := make([]interfaceModel, 0, len(got.Interfaces))
	for _, i := range got.Interfaces {
		im := interfaceModel{Name: i.Name, HardwareAddress: i.HardwareAddress, IPAddresses: make([]addressModel, 0, len(i.Addresses))}
		for _, a := range i.Addresses {
			im.IPAddresses = append(im.IPAddresses, addressModel{Address: a.Address, Family: a.Family, Prefix: int64(a.Prefix)})
		}
		out = append(out, im)
	}
	return out
}
