package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

var _ ephemeral.EphemeralResourceWithConfigure = (*guestFileEphemeral)(nil)

// guestFileEphemeral reads a secret from a guest file (a join token, a
// generated key) without it ever reaching the plan or the state: for
// write-only attributes, provider configuration and other ephemeral uses.
type guestFileEphemeral struct{ pd *providerData }

func newGuestFileEphemeral() ephemeral.EphemeralResource { return &guestFileEphemeral{} }

func (e *guestFileEphemeral) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_file"
}

func (e *guestFileEphemeral) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	secret := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Sensitive: true, Description: desc}
	}
	computed := func(desc string) schema.StringAttribute {
		return schema.StringAttribute{Computed: true, Description: desc}
	}
	resp.Schema = schema.Schema{
		Description: "Reads a whole file from a guest through the QEMU guest agent, as an ephemeral value (Terraform 1.10+, OpenTofu 1.11+): " +
			"it is read during each plan and apply and never stored in the plan or the state. Use it for secrets the guest makes, " +
			"and pass them on to write-only attributes (such as `qga_guest_user_password.password_wo`) or other ephemeral uses.",
		Attributes: map[string]schema.Attribute{
			"domain":         schema.StringAttribute{Optional: true, Description: domainDescription, Validators: guestTargetValidators()},
			"agent_socket":   schema.StringAttribute{Optional: true, Description: agentSocketDescription, Validators: guestTargetValidators()},
			"path":           schema.StringAttribute{Required: true, Description: readPathDescription, Validators: []validator.String{guestPathValidator}},
			"max_size":       schema.Int64Attribute{Optional: true, Description: readMaxSizeDescription, Validators: maxSizeValidators()},
			"content":        secret(readContentDescription),
			"content_base64": secret(readBase64Description),
			"sha256":         secret("SHA-256 of the content, hex (sensitive: it could confirm a guessed secret)."),
			"size":           schema.Int64Attribute{Computed: true, Description: "Size in bytes."},
			"mode":           computed(readModeDescription),
			"owner":          computed("Owner's name; null where the guest blocks guest-exec."),
			"group":          computed("Group's name; null where the guest blocks guest-exec."),
		},
	}
}

func (e *guestFileEphemeral) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.pd = configured(req.ProviderData, &resp.Diagnostics)
}

func (e *guestFileEphemeral) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m guestFileReadModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	readGuestFile(ctx, e.pd, &m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}
