package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
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
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

var (
	_ resource.ResourceWithConfigure   = (*guestSSHKeysResource)(nil)
	_ resource.ResourceWithImportState = (*guestSSHKeysResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*guestSSHKeysResource)(nil)
)

// guestSSHKeysResource manages keys in a guest user's authorized_keys.
type guestSSHKeysResource struct{ pd *providerData }

type guestSSHKeysModel struct {
	guestRef
	ID        types.String   `tfsdk:"id"`
	Username  types.String   `tfsdk:"username"`
	Keys      types.Set      `tfsdk:"keys"`
	Exclusive types.Bool     `tfsdk:"exclusive"`
	Timeouts  timeouts.Value `tfsdk:"timeouts"`
}

var sshKeyCommands = []string{"guest-ssh-get-authorized-keys", "guest-ssh-add-authorized-keys", "guest-ssh-remove-authorized-keys"}

func newGuestSSHKeysResource() resource.Resource { return &guestSSHKeysResource{} }

func (r *guestSSHKeysResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_ssh_keys"
}

func (r *guestSSHKeysResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "SSH public keys in a guest user's `~/.ssh/authorized_keys`, set through the QEMU guest agent (no network access to the guest needed). " +
			"Linux and other POSIX guests only: the agent has no ssh-key commands on Windows.",
		Attributes: withAttributes(resourceGuestAttributes(), map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "`<domain or agent_socket>/<username>`; also the import ID.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"username": schema.StringAttribute{
				Required: true, Description: "The guest user whose authorized_keys to manage. The user must exist and have a home directory.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{stringvalidator.LengthAtLeast(1), stringvalidator.NoneOf(".", "..")},
			},
			"keys": schema.SetAttribute{
				Required: true, ElementType: types.StringType,
				Description: "OpenSSH public keys, one per element, as in authorized_keys (`ssh-ed25519 AAAA... comment`). Checked at plan time: " +
					"each element must be one key, and a key may not be listed twice with different comments. " +
					"Keys are compared by type and key data, as the Ansible module `qgatools.qga.guest_ssh_keys` does: a key already in the file under another comment or with options counts as present and is not added again.",
				Validators: []validator.Set{authorizedKeysValidator{}},
			},
			"exclusive": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "When false (the default), only the listed keys are managed: a key is removed only when it was listed before and no longer is, " +
					"and other keys in the file are left alone, including those an import adopted. " +
					"When true, authorized_keys holds exactly the listed keys: others are removed, and keys added behind Terraform's back show as drift. " +
					"Turning it off again leaves the file's other keys in place. Destroying the resource removes the keys it listed at its last apply.",
			},
		}),
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock(ctx, opCreate, opRead, opUpdate, opDelete)},
	}
}

func (r *guestSSHKeysResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configured(req.ProviderData, &resp.Diagnostics)
}

func (r *guestSSHKeysResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	var plan guestSSHKeysModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	replaceOnOtherDomain(ctx, r.pd, req, resp)
	if id, ok := sshKeysID(plan); ok && !plan.ID.Equal(id) {
		// The domain may now be spelled otherwise (name for UUID): the id follows.
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("id"), id)...)
	}
	if !req.State.Raw.IsNull() {
		var state guestSSHKeysModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		warnKeptKeys(ctx, req, state, plan, &resp.Diagnostics)
	}
	requireAtPlan(ctx, r.pd, plan.guestRef, &resp.Diagnostics, sshKeyCommands...)
}

// sshKeysID is the resource's id, when the plan knows its parts.
func sshKeysID(m guestSSHKeysModel) (types.String, bool) {
	if m.Domain.IsUnknown() || m.AgentSocket.IsUnknown() || m.Username.IsUnknown() {
		return types.StringUnknown(), false
	}
	return types.StringValue(m.idPart() + "/" + m.Username.ValueString()), true
}

// warnKeptKeys says so when the plan drops keys from the state that the
// apply will leave in the file (non-exclusive mode, keys the configuration
// never listed, e.g. adopted by an import): the diff alone would suggest
// they are removed.
func warnKeptKeys(ctx context.Context, req resource.ModifyPlanRequest, state, plan guestSSHKeysModel, diags *diag.Diagnostics) {
	if plan.Exclusive.ValueBool() || plan.Keys.IsUnknown() {
		return
	}
	managed := managedOrLegacy(ctx, req.Private, state, diags)
	want := setStrings(ctx, plan.Keys, diags)
	var kept []string
	for _, k := range guestrules.MissingFrom(want, setStrings(ctx, state.Keys, diags)) {
		if !guestrules.ContainsKey(managed, k) {
			kept = append(kept, k)
		}
	}
	if len(kept) > 0 {
		diags.AddWarning("SSH keys not listed before stay in authorized_keys",
			fmt.Sprintf("The plan drops %d key(s) of user %s from this resource, but the configuration never listed them (they were adopted by an import or added by someone else), "+
				"so with exclusive = false they stay in the guest's authorized_keys: %s. "+
				"To remove them, list them once and then drop them, or set exclusive = true.", len(kept), plan.Username.ValueString(), keyLabels(kept)))
	}
}

func (r *guestSSHKeysResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan guestSSHKeysModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	ctx, end := startOp(ctx, plan.Timeouts, opCreate, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.pd.connect(ctx, plan.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	keys := setStrings(ctx, plan.Keys, &resp.Diagnostics)
	user := plan.Username.ValueString()
	if err := changeKeys(ctx, c, user, guestrules.KeysRequest{Want: keys, Exclusive: plan.Exclusive.ValueBool()}); err != nil {
		agentError(&resp.Diagnostics, "setting the SSH keys of user "+user, err)
		return
	}
	plan.ID = types.StringValue(plan.idPart() + "/" + user)
	setManagedKeys(ctx, resp.Private, keys, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *guestSSHKeysResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state guestSSHKeysModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, state.Timeouts, opRead, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	if readBeforeURIKnown(ctx, r.pd, state.guestRef) {
		if state.Keys.IsNull() {
			resp.Diagnostics.AddError("Provider uri not known yet",
				"an import reads the guest's keys, but the qga provider's uri is computed from something created in this apply; import once the uri is known")
		}
		return
	}
	if forgetGoneDomain(ctx, r.pd, state.guestRef, "the SSH keys of user "+state.Username.ValueString(), resp) {
		return
	}
	c := r.pd.connect(ctx, state.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	current, err := c.SSHKeys(ctx, state.Username.ValueString())
	if err != nil {
		agentError(&resp.Diagnostics, "reading the SSH keys of user "+state.Username.ValueString(), err)
		return
	}
	// Exclusive (or just imported): the file is the truth. An import's
	// keys are not managed ones (see managedKeysKey): an apply that lists
	// fewer leaves the others in place.
	wholeFile := state.Exclusive.ValueBool() || state.Keys.IsNull()
	keys := guestrules.KeysOnRecord(current, setStrings(ctx, state.Keys, &resp.Diagnostics), wholeFile)
	state.Keys = stringSet(keys, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *guestSSHKeysResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state guestSSHKeysModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.pd.connect(ctx, plan.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	user := plan.Username.ValueString()
	want := setStrings(ctx, plan.Keys, &resp.Diagnostics)
	change := guestrules.KeysRequest{Want: want, Exclusive: plan.Exclusive.ValueBool()}
	if !change.Exclusive {
		// Keys the configuration listed before and no longer lists are
		// removed; keys it never listed stay (imported ones, others').
		change.Drop = guestrules.MissingFrom(want, managedOrLegacy(ctx, req.Private, state, &resp.Diagnostics))
	}
	if err := changeKeys(ctx, c, user, change); err != nil {
		agentError(&resp.Diagnostics, "changing the SSH keys of user "+user, err)
		return
	}
	plan.ID = types.StringValue(plan.idPart() + "/" + user)
	setManagedKeys(ctx, resp.Private, want, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete removes the keys this resource manages; other keys stay.
func (r *guestSSHKeysResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state guestSSHKeysModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, state.Timeouts, opDelete, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	keys, ok := managedKeys(ctx, req.Private, &resp.Diagnostics)
	if !ok {
		keys = setStrings(ctx, state.Keys, &resp.Diagnostics) // a state from before managed keys were recorded
	}
	if len(keys) == 0 || skipGoneDomainOnDelete(ctx, r.pd, state.guestRef, "the SSH keys of user "+state.Username.ValueString(), &resp.Diagnostics) {
		return
	}
	c := r.pd.connect(ctx, state.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	if err := changeKeys(ctx, c, state.Username.ValueString(), guestrules.KeysRequest{Drop: keys}); err != nil {
		agentError(&resp.Diagnostics, "removing the SSH keys of user "+state.Username.ValueString(), err)
	}
}

// ImportState takes `<domain>/<username>` (or `<socket path>/<username>`)
// and adopts every key in the file, none of them as managed: an apply that
// lists fewer keys removes none, and neither does a destroy.
func (r *guestSSHKeysResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	guest, user, ok := splitImportID(req.ID)
	if !ok {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("expected <domain>/<username> or <agent socket path>/<username>, got %q", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("username"), user)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("exclusive"), false)...)
	attr := "domain"
	if strings.HasPrefix(guest, "/") {
		attr = "agent_socket"
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(attr), guest)...)
	setManagedKeys(ctx, resp.Private, nil, &resp.Diagnostics)
}

// changeKeys reads the user's keys, plans the change by key identity
// (guestrules.PlanKeys, the modules' rule too) and makes it.
func changeKeys(ctx context.Context, c *qgaclient.Client, user string, r guestrules.KeysRequest) error {
	current, err := c.SSHKeys(ctx, user)
	if err != nil {
		return fmt.Errorf("reading the authorized keys: %w", err)
	}
	return guestrules.ApplyKeys(ctx, c, user, guestrules.PlanKeys(current, r))
}
