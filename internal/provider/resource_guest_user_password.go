package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

var (
	_ resource.ResourceWithConfigure      = (*guestUserPasswordResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*guestUserPasswordResource)(nil)
	_ resource.ResourceWithValidateConfig = (*guestUserPasswordResource)(nil)
)

// guestUserPasswordResource sets a guest user's password.
type guestUserPasswordResource struct{ pd *providerData }

type guestUserPasswordModel struct {
	guestRef
	ID                types.String   `tfsdk:"id"`
	Username          types.String   `tfsdk:"username"`
	Password          types.String   `tfsdk:"password"`
	PasswordWO        types.String   `tfsdk:"password_wo"`
	PasswordWOVersion types.Int64    `tfsdk:"password_wo_version"`
	Crypted           types.Bool     `tfsdk:"crypted"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

func newGuestUserPasswordResource() resource.Resource { return &guestUserPasswordResource{} }

func (r *guestUserPasswordResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_user_password"
}

func (r *guestUserPasswordResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	passwordValidators := []validator.String{
		stringvalidator.LengthAtLeast(1),
		stringvalidator.ExactlyOneOf(path.MatchRoot("password"), path.MatchRoot("password_wo")),
	}
	resp.Schema = schema.Schema{
		Description: "The password of a user inside a guest, set through the QEMU guest agent (guest-set-user-password). " +
			"The agent cannot read a password back, so Terraform sets it on create and whenever `password`, `password_wo_version` or `crypted` changes; " +
			"a password changed inside the guest is not detected. Destroying the resource only removes it from the state: the guest keeps the password it has.",
		Attributes: withAttributes(resourceGuestAttributes(), map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "`<domain or agent_socket>/<username>`.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"username": schema.StringAttribute{
				Required: true, Description: "The guest user whose password to set. The user must exist.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"password": schema.StringAttribute{
				Optional: true, Sensitive: true,
				Description: "The password (or, with `crypted`, its crypt(3) hash). Stored in the state, marked sensitive. " +
					"With Terraform or OpenTofu 1.11 and later prefer `password_wo`, which never reaches the state. Exactly one of `password` and `password_wo` must be set.",
				Validators: passwordValidators,
			},
			"password_wo": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				Description: "Write-only password (Terraform/OpenTofu 1.11 and later): sent to the guest, never stored in the plan or the state. " +
					"Terraform cannot see when it changes: bump `password_wo_version` to set it again.",
				Validators: passwordValidators,
			},
			"password_wo_version": schema.Int64Attribute{
				Optional:    true,
				Description: "Change this number to set `password_wo` again.",
				Validators:  []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("password_wo"))},
			},
			"crypted": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "When true, the password is already a crypt(3) hash and is written to /etc/shadow as is: a modular hash such as `$y$j9T$salt$hash` (yescrypt) or `$6$salt$hash` (SHA-512), " +
					"optionally locked with a leading `!`. Checked at plan time; 13-character DES hashes are refused, since a plain password of that length looks like one.",
			},
		}),
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock(ctx, opCreate, opUpdate)},
	}
}

func (r *guestUserPasswordResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configured(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks a crypted password looks like a crypt(3) hash
// (guestrules.CheckCryptHash, the modules' rule too), so a plain password
// given by mistake is not written to /etc/shadow as a "hash" that locks the
// user out.
func (r *guestUserPasswordResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m guestUserPasswordModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || !m.Crypted.ValueBool() {
		return
	}
	for _, attr := range []struct {
		name string
		v    types.String
	}{{"password", m.Password}, {"password_wo", m.PasswordWO}} {
		if attr.v.IsNull() || attr.v.IsUnknown() {
			continue
		}
		if err := guestrules.CheckCryptHash(attr.v.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(attr.name), "Invalid crypt(3) hash", err.Error())
		}
	}
}

func (r *guestUserPasswordResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan guestUserPasswordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	replaceOnOtherDomain(ctx, r.pd, req, resp)
	requireAtPlan(ctx, r.pd, plan.guestRef, &resp.Diagnostics, "guest-set-user-password")
}

func (r *guestUserPasswordResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config guestUserPasswordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	ctx, end := startOp(ctx, plan.Timeouts, opCreate, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.set(ctx, plan, config, &resp.Diagnostics) {
		return
	}
	plan.ID = types.StringValue(plan.idPart() + "/" + plan.Username.ValueString())
	plan.PasswordWO = types.StringNull() // write-only: never in state
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *guestUserPasswordResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config, state guestUserPasswordModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	// An update for another reason (the domain named by name instead of
	// UUID) must not set the password again: with password_wo, the
	// configuration may hold a newer value than the one set.
	passwordChanged := !plan.Password.Equal(state.Password) || !plan.PasswordWOVersion.Equal(state.PasswordWOVersion) || !plan.Crypted.Equal(state.Crypted)
	if passwordChanged && !r.set(ctx, plan, config, &resp.Diagnostics) {
		return
	}
	plan.ID = state.ID
	plan.PasswordWO = types.StringNull()
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// set sends the password; it comes from the plan, or for password_wo from
// the configuration (write-only values are only there).
func (r *guestUserPasswordResource) set(ctx context.Context, plan, config guestUserPasswordModel, diags *diag.Diagnostics) bool {
	password := plan.Password.ValueString()
	if !config.PasswordWO.IsNull() {
		password = config.PasswordWO.ValueString()
	}
	user := plan.Username.ValueString()
	if password == "" {
		diags.AddError("No password", fmt.Sprintf("no password given for user %s: set password or password_wo", user))
		return false
	}
	c := r.pd.connect(ctx, plan.guestRef, diags)
	if c == nil {
		return false
	}
	if err := c.SetUserPassword(ctx, user, password, plan.Crypted.ValueBool()); err != nil {
		agentError(diags, "setting the password of user "+user, err)
		return false
	}
	return true
}

// Read keeps the state (the agent cannot read a password back), unless the
// domain no longer exists.
func (r *guestUserPasswordResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state guestUserPasswordModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || readBeforeURIKnown(ctx, r.pd, state.guestRef) {
		return
	}
	forgetGoneDomain(ctx, r.pd, state.guestRef, "the password of user "+state.Username.ValueString(), resp)
}

// Delete forgets the resource; the guest keeps its password (there is no
// "previous" password to go back to).
func (r *guestUserPasswordResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
}
