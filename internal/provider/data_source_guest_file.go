package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ datasource.DataSourceWithConfigure = (*guestFileDataSource)(nil)

// guestFileDataSource reads a guest file (a join token, cloud-init's
// result, a host key). For secrets, the ephemeral resource of the same name
// keeps the content out of the plan and the state.
type guestFileDataSource struct{ pd *providerData }

func newGuestFileDataSource() datasource.DataSource { return &guestFileDataSource{} }

func (d *guestFileDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_file"
}

func (d *guestFileDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Reads a whole file from a guest through the QEMU guest agent (guest-file-open/read/close; its mode and owner with guest-exec where the guest allows it). " +
			"The content is stored in the state: for a secret, use the ephemeral resource `qga_guest_file` instead (Terraform 1.10+, OpenTofu 1.11+).",
		Attributes: withAttributes(dataSourceGuestAttributes(), map[string]schema.Attribute{
			"path":           schema.StringAttribute{Required: true, Description: readPathDescription, Validators: []validator.String{guestPathValidator}},
			"max_size":       schema.Int64Attribute{Optional: true, Description: readMaxSizeDescription, Validators: maxSizeValidators()},
			"content":        computed(readContentDescription),
			"content_base64": computed(readBase64Description),
			"sha256":         computed("SHA-256 of the content, hex."),
			"size":           schema.Int64Attribute{Computed: true, Description: "Size in bytes."},
			"mode":           computed(readModeDescription),
			"owner":          computed("Owner's name; null where the guest blocks guest-exec."),
			"group":          computed("Group's name; null where the guest blocks guest-exec."),
		}),
	}
}

func (d *guestFileDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.pd = configured(req.ProviderData, &resp.Diagnostics)
}

func (d *guestFileDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m guestFileReadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	readGuestFile(ctx, d.pd, &m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}
