package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var _ datasource.DataSourceWithConfigure = (*guestOSInfoDataSource)(nil)

// guestOSInfoDataSource reads what the guest's agent says about its OS.
type guestOSInfoDataSource struct{ pd *providerData }

type guestOSInfoModel struct {
	guestRef
	ID            types.String `tfsdk:"id"`
	Name          types.String `tfsdk:"name"`
	PrettyName    types.String `tfsdk:"pretty_name"`
	Version       types.String `tfsdk:"version"`
	VersionID     types.String `tfsdk:"version_id"`
	Variant       types.String `tfsdk:"variant"`
	VariantID     types.String `tfsdk:"variant_id"`
	KernelRelease types.String `tfsdk:"kernel_release"`
	KernelVersion types.String `tfsdk:"kernel_version"`
	Machine       types.String `tfsdk:"machine"`
	Hostname      types.String `tfsdk:"hostname"`
	Timezone      types.String `tfsdk:"timezone"`
	TZOffset      types.Int64  `tfsdk:"timezone_offset"`
	AgentVersion  types.String `tfsdk:"agent_version"`
}

func newGuestOSInfoDataSource() datasource.DataSource { return &guestOSInfoDataSource{} }

func (d *guestOSInfoDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_osinfo"
}

func (d *guestOSInfoDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Operating system details of a guest, as its QEMU guest agent reports them (guest-get-osinfo, guest-get-host-name, guest-get-timezone, guest-info). Fields the guest does not report are empty strings.",
		Attributes: withAttributes(dataSourceGuestAttributes(), map[string]schema.Attribute{
			"id":              computed("OS identifier from os-release(5), e.g. `debian`; `mswindows` on Windows."),
			"name":            computed("OS name from os-release(5)."),
			"pretty_name":     computed("Human-readable OS name, e.g. `Debian GNU/Linux 12 (bookworm)`."),
			"version":         computed("OS version from os-release(5)."),
			"version_id":      computed("Short OS version, e.g. `12`."),
			"variant":         computed("OS variant from os-release(5); `server` or `client` on Windows."),
			"variant_id":      computed("Short OS variant identifier."),
			"kernel_release":  computed("Kernel release (uname -r)."),
			"kernel_version":  computed("Kernel version (uname -v)."),
			"machine":         computed("Machine architecture (uname -m), e.g. `x86_64`."),
			"hostname":        computed("The guest's host name."),
			"timezone":        computed("Time zone name as the guest reports it (informational)."),
			"timezone_offset": schema.Int64Attribute{Computed: true, Description: "Offset from UTC in seconds, positive east of Greenwich."},
			"agent_version":   computed("Version of the QEMU guest agent in the guest."),
		}),
	}
}

func (d *guestOSInfoDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configured(req.ProviderData, &resp.Diagnostics)
}

func (d *guestOSInfoDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m guestOSInfoModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !requireKnownURI(d.pd, m.guestRef, &resp.Diagnostics) {
		return
	}
	c := d.pd.connect(ctx, m.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	info, err := c.Info(ctx)
	if err != nil {
		agentError(&resp.Diagnostics, "reading the agent's version", err)
		return
	}
	os, err := c.OSInfo(ctx)
	if err != nil {
		agentError(&resp.Diagnostics, "reading the guest's OS information", err)
		return
	}
	host, err := c.Hostname(ctx)
	if err != nil {
		agentError(&resp.Diagnostics, "reading the guest's host name", err)
		return
	}
	tz, err := c.Timezone(ctx)
	if err != nil {
		agentError(&resp.Diagnostics, "reading the guest's time zone", err)
		return
	}
	m.ID, m.Name, m.PrettyName = types.StringValue(os.ID), types.StringValue(os.Name), types.StringValue(os.PrettyName)
	m.Version, m.VersionID = types.StringValue(os.Version), types.StringValue(os.VersionID)
	m.Variant, m.VariantID = types.StringValue(os.Variant), types.StringValue(os.VariantID)
	m.KernelRelease, m.KernelVersion = types.StringValue(os.KernelRelease), types.StringValue(os.KernelVersion)
	m.Machine, m.Hostname = types.StringValue(os.Machine), types.StringValue(host)
	m.Timezone, m.TZOffset = types.StringValue(tz.Zone), types.Int64Value(int64(tz.Offset))
	m.AgentVersion = types.StringValue(info.Version)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
