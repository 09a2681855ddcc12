package provider

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

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
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

var (
	_ resource.ResourceWithConfigure   = (*guestFileResource)(nil)
	_ resource.ResourceWithModifyPlan  = (*guestFileResource)(nil)
	_ resource.ResourceWithImportState = (*guestFileResource)(nil)
)

// guestFileResource is a whole file in the guest (qgaclient.PutFile).
type guestFileResource struct{ pd *providerData }

type guestFileModel struct {
	guestRef
	ID                types.String   `tfsdk:"id"`
	Path              types.String   `tfsdk:"path"`
	Content           types.String   `tfsdk:"content"`
	ContentBase64     types.String   `tfsdk:"content_base64"`
	Source            types.String   `tfsdk:"source"`
	ContentWO         types.String   `tfsdk:"content_wo"`
	ContentWOVersion  types.Int64    `tfsdk:"content_wo_version"`
	Mode              types.String   `tfsdk:"mode"`
	Owner             types.String   `tfsdk:"owner"`
	Group             types.String   `tfsdk:"group"`
	CreateDirectories types.Bool     `tfsdk:"create_directories"`
	KeepOnDestroy     types.Bool     `tfsdk:"keep_on_destroy"`
	SHA256            types.String   `tfsdk:"sha256"`
	Size              types.Int64    `tfsdk:"size"`
	Timeouts          timeouts.Value `tfsdk:"timeouts"`
}

func newGuestFileResource() resource.Resource { return &guestFileResource{} }

func (r *guestFileResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_file"
}

// contentSources: exactly one of them gives the file's content.
var contentSources = []string{"content", "content_base64", "source", "content_wo"}

func exactlyOneContent() validator.String {
	paths := make([]path.Expression, len(contentSources))
	for i, name := range contentSources {
		paths[i] = path.MatchRoot(name)
	}
	return stringvalidator.ExactlyOneOf(paths...)
}

func (r *guestFileResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		Description: "A whole file inside a guest, written through the QEMU guest agent. " +
			"The write is atomic: the content goes to a new file in the same directory, which gets its mode and owner and is then renamed over the old one, " +
			"so a reader in the guest never sees half a file and a failed write leaves the old file as it was. " +
			"Content up to 4 MiB is first staged in the guest's /tmp (a file only root can read, removed in every case), so that one guest command does the rest; larger content is written in place. " +
			"An upload cut off midway (the agent killed or restarted) fails the apply and leaves the old file whole; its temporary file (`.qga-put-*`, in the file's directory or /tmp) is removed too, unless the agent stays away longer than the write's recovery wait (about 40 s). " +
			"Needs `guest-exec` besides `guest-file-open/write/close` (the agent has no rename, chmod or chown; RHEL's default agent blocks both: see the Preparing guests guide). " +
			"Every directory from the file's up to / must be changeable by root only (or be sticky, like /tmp), or by one other user, as whom the file is then written; " +
			"a directory that a group or everyone can write is refused, since another user could redirect a write made there. " +
			"Terraform reads the file back on refresh (its sha256 computed in the guest, its mode and owner) and puts it back when it changed or was removed.",
		Attributes: withAttributes(resourceGuestAttributes(), map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "`<domain or agent_socket>:<path>`, also the import ID.",
				PlanModifiers: keep,
			},
			"path": schema.StringAttribute{
				Required: true, Description: "Absolute path of the file in the guest. Changing it replaces the resource.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				Validators:    []validator.String{guestPathValidator},
			},
			"content": schema.StringAttribute{
				Optional: true, Description: "The file's content, as text. Exactly one of `content`, `content_base64`, `source` and `content_wo` must be set.",
				Validators: []validator.String{exactlyOneContent()},
			},
			"content_base64": schema.StringAttribute{
				Optional: true, Description: "The file's content, base64-encoded (for binary content).",
				Validators: []validator.String{exactlyOneContent(), base64Validator},
			},
			"source": schema.StringAttribute{
				Optional: true, Description: "Path of a file on the machine that runs Terraform whose content to copy (for large files). " +
					"It is streamed to the guest, so the provider's memory does not grow with its size. " +
					"Its sha256 is taken at plan time, so a changed source file is copied again; a file that changes between plan and apply fails the apply and leaves the guest's file as it was.",
				Validators: []validator.String{exactlyOneContent()},
			},
			"content_wo": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				Description: "Write-only content, for secrets (Terraform/OpenTofu 1.11 and later): written to the guest, never stored in the plan or the state, " +
					"nor is its sha256 or size. Terraform cannot see when it changes: bump `content_wo_version` to write it again. " +
					"A file removed in the guest is still noticed and written again.",
				Validators: []validator.String{exactlyOneContent()},
			},
			"content_wo_version": schema.Int64Attribute{
				Optional: true, Description: "Change this number to write `content_wo` again.",
				Validators: []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("content_wo"))},
			},
			"mode": schema.StringAttribute{
				Optional: true, Computed: true, PlanModifiers: keep,
				Description: fmt.Sprintf("Permission bits in octal, such as `0644` or `0600`. Unset: an existing file keeps its own, a new one gets `%04o`.", qgaclient.DefaultFileMode),
				Validators:  []validator.String{fileModeValidator},
			},
			"owner": schema.StringAttribute{
				Optional: true, Computed: true, PlanModifiers: keep,
				Description: "User who owns the file: a name or a numeric uid. Unset: an existing file keeps its owner; a new one belongs to root, or, in a directory of another user, to that user.",
				Validators:  []validator.String{ownerValidator},
			},
			"group": schema.StringAttribute{
				Optional: true, Computed: true, PlanModifiers: keep,
				Description: "Group of the file: a name or a numeric gid. Unset: an existing file keeps its group.",
				Validators:  []validator.String{groupValidator},
			},
			"create_directories": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "Create missing directories (root's, mode 0755). When false, a missing directory fails the apply.",
			},
			"keep_on_destroy": schema.BoolAttribute{
				Optional: true, Computed: true, Default: booldefault.StaticBool(false),
				Description: "When true, destroying the resource leaves the file in the guest; by default it is removed.",
			},
			"sha256": schema.StringAttribute{
				Computed:    true,
				Description: "SHA-256 of the content, hex. Null with `content_wo`.",
			},
			"size": schema.Int64Attribute{
				Computed:    true,
				Description: "Size of the content in bytes. Null with `content_wo`.",
			},
		}),
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock(ctx, opCreate, opRead, opUpdate, opDelete)},
	}
}

func (r *guestFileResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configured(req.ProviderData, &resp.Diagnostics)
}

// wanted is the content the configuration asks for: its bytes (nil for
// content_wo at plan time, which only the apply sees, and for a source
// file, which is streamed from source instead), hash and size.
type wanted struct {
	data    []byte
	source  string
	sha256  types.String
	size    types.Int64
	unknown bool
}

// contentOf reads what the plan (or, for content_wo, the configuration)
// asks for. At plan time the write-only content is not read. A source file
// is hashed a block at a time and not kept: a large file costs no memory.
func contentOf(plan, config guestFileModel, diags *diag.Diagnostics) wanted {
	var w wanted
	switch {
	case plan.Content.IsUnknown() || plan.ContentBase64.IsUnknown() || plan.Source.IsUnknown():
		w.unknown = true
		return w
	case !plan.Content.IsNull():
		w.data = []byte(plan.Content.ValueString())
	case !plan.ContentBase64.IsNull():
		b, err := base64.StdEncoding.DecodeString(plan.ContentBase64.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("content_base64"), "Invalid base64", err.Error())
			return w
		}
		w.data = b
	case !plan.Source.IsNull():
		w.source = plan.Source.ValueString()
		sum, size, err := hashFile(w.source)
		if err != nil {
			diags.AddAttributeError(path.Root("source"), "Cannot read the source file", fmt.Sprintf("source %q: %v", w.source, err))
			return w
		}
		w.sha256, w.size = types.StringValue(sum), types.Int64Value(size)
		return w
	default:
		if !config.ContentWO.IsNull() {
			w.data = []byte(config.ContentWO.ValueString())
		}
		w.sha256, w.size = types.StringNull(), types.Int64Null()
		return w
	}
	sum := sha256.Sum256(w.data)
	w.sha256, w.size = types.StringValue(hex.EncodeToString(sum[:])), types.Int64Value(int64(len(w.data)))
	return w
}

// hashFile is the sha256 (hex) and size of a host file, read a block at a
// time.
func hashFile(name string) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }() // read only
	return qgaclient.SHA256Of(f)
}

// ModifyPlan sets the sha256 and size the file will have, so a changed
// source file, or a file changed in the guest (Read put its real sha256
// in the state), plans an update.
func (r *guestFileResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan, config guestFileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	w := contentOf(plan, config, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if !w.unknown {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("sha256"), w.sha256)...)
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("size"), w.size)...)
	}
	if !req.State.Raw.IsNull() {
		replaceOnOtherDomain(ctx, r.pd, req, resp)
	}
	requireAtPlan(ctx, r.pd, plan.guestRef, &resp.Diagnostics, append([]string{"guest-exec", "guest-exec-status"}, fileWriteCommands...)...)
}

// fileWriteCommands are what PutFile needs besides guest-exec.
var fileWriteCommands = []string{"guest-file-open", "guest-file-write", "guest-file-close"}

func (r *guestFileResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config guestFileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	ctx, end := startOp(ctx, plan.Timeouts, opCreate, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	if !r.write(ctx, &plan, config, &resp.Diagnostics) {
		return
	}
	plan.ID = types.StringValue(plan.idPart() + ":" + plan.Path.ValueString())
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setWriteOnly(ctx, resp.Private, config, &resp.Diagnostics)
}

func (r *guestFileResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, config, state guestFileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, plan.Timeouts, opUpdate, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	// The guest already has it (an import, or a change of spelling only):
	// nothing to write.
	same := !plan.SHA256.IsNull() && plan.SHA256.Equal(state.SHA256) && plan.ContentWOVersion.Equal(state.ContentWOVersion) &&
		sameAttr(plan.Mode, state.Mode) && sameAttr(plan.Owner, state.Owner) && sameAttr(plan.Group, state.Group)
	if !same && !r.write(ctx, &plan, config, &resp.Diagnostics) {
		return
	}
	plan.ID = state.ID
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	setWriteOnly(ctx, resp.Private, config, &resp.Diagnostics)
}

// writeOnlyKey marks, in the resource's private state, a file whose content
// came from content_wo: Read must not put its sha256 in the state.
const writeOnlyKey = "content_wo"

// privateState is what Create, Update and Read may write private state to.
type privateState interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

func setWriteOnly(ctx context.Context, private privateState, config guestFileModel, diags *diag.Diagnostics) {
	v := []byte(`false`)
	if !config.ContentWO.IsNull() {
		v = []byte(`true`)
	}
	diags.Append(private.SetKey(ctx, writeOnlyKey, v)...)
}

// sameAttr: a planned value that is unknown (computed) or equal.
func sameAttr(plan, state types.String) bool { return plan.IsUnknown() || plan.Equal(state) }

// write puts the file and records what the guest now has in plan.
func (r *guestFileResource) write(ctx context.Context, plan *guestFileModel, config guestFileModel, diags *diag.Diagnostics) bool {
	// A source file is hashed while it is copied, not read twice.
	w := wanted{source: knownString(plan.Source)}
	if w.source == "" {
		w = contentOf(*plan, config, diags)
	}
	if diags.HasError() {
		return false
	}
	req := qgaclient.PutFileRequest{
		Path: plan.Path.ValueString(), Content: w.data,
		Owner: knownString(plan.Owner), Group: knownString(plan.Group),
		CreateDirectories: plan.CreateDirectories.ValueBool(),
	}
	if m := knownString(plan.Mode); m != "" {
		mode, _ := guestrules.ParseFileMode(m) // validated
		req.Mode = &mode
	}
	p := plan.Path.ValueString()
	c := r.pd.connect(ctx, plan.guestRef, diags)
	if c == nil {
		return false
	}
	if w.source != "" {
		// Streamed from the file: the provider's memory stays flat in its size.
		f, err := os.Open(w.source)
		if err != nil {
			diags.AddAttributeError(path.Root("source"), "Cannot read the source file", fmt.Sprintf("source %q: %v", w.source, err))
			return false
		}
		defer func() { _ = f.Close() }() // read only
		req.Source = f
		// What the plan showed is what may land: PutFile refuses other
		// bytes before its rename.
		req.ExpectSHA256 = knownString(plan.SHA256)
	}
	res, err := c.PutFile(ctx, req)
	if errors.Is(err, qgaclient.ErrContentChanged) {
		diags.AddAttributeError(path.Root("source"), "The source file changed after the plan",
			fmt.Sprintf("source %q: %v. Run the plan and apply again once the file stays the same.", w.source, err))
		return false
	}
	if err != nil {
		agentError(diags, "writing "+strconv.Quote(p), err)
		return false
	}
	if w.source != "" {
		w.sha256, w.size = types.StringValue(res.SHA256), types.Int64Value(res.Size)
	}
	setFileAttrs(plan, res.Info) // read back by the write itself
	plan.SHA256, plan.Size = w.sha256, w.size
	plan.ContentWO = types.StringNull() // write-only: never in state
	return true
}

// knownString is a string attribute's value, or "" when null or unknown.
func knownString(v types.String) string {
	if v.IsNull() || v.IsUnknown() {
		return ""
	}
	return v.ValueString()
}

// setFileAttrs records the guest's mode, owner and group in m, keeping the
// spelling m already has for the same value (0644 or 644, a name or an id).
func setFileAttrs(m *guestFileModel, info *qgaclient.FileInfo) {
	if mode, err := guestrules.ParseFileMode(knownString(m.Mode)); err != nil || mode != info.Mode {
		m.Mode = types.StringValue(guestrules.FormatFileMode(info.Mode))
	}
	if !guestrules.SameAccount(knownString(m.Owner), info.Owner, info.UID) {
		m.Owner = types.StringValue(info.Owner)
	}
	if !guestrules.SameAccount(knownString(m.Group), info.Group, info.GID) {
		m.Group = types.StringValue(info.Group)
	}
}

// Read looks at the file in the guest: removed (dropped from the state, so
// the plan creates it again), changed content (its real sha256), mode,
// owner or group. Without guest-exec it reads the file back and hashes it
// here instead; mode and owner are then kept as they are.
func (r *guestFileResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state guestFileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, state.Timeouts, opRead, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() || readBeforeURIKnown(ctx, r.pd, state.guestRef) {
		return
	}
	p := state.Path.ValueString()
	if forgetGoneDomain(ctx, r.pd, state.guestRef, "file "+strconv.Quote(p), resp) {
		return
	}
	c := r.pd.connect(ctx, state.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	flag, d := req.Private.GetKey(ctx, writeOnlyKey)
	resp.Diagnostics.Append(d...)
	wo := string(flag) == "true"
	info, err := c.StatFile(ctx, p, !wo)
	if errors.Is(err, qgaclient.ErrCommandDisabled) || errors.Is(err, qgaclient.ErrCommandUnsupported) {
		info, err = statByReading(ctx, c, p)
	}
	if err != nil {
		agentError(&resp.Diagnostics, "reading "+strconv.Quote(p), err)
		return
	}
	if !info.Exists {
		resp.Diagnostics.AddWarning("File removed in the guest",
			fmt.Sprintf("%s no longer exists in the guest: it is removed from the state, and the plan writes it again.", strconv.Quote(p)))
		resp.State.RemoveResource(ctx)
		return
	}
	if info.Mode != 0 || info.Owner != "" {
		setFileAttrs(&state, info)
	}
	switch {
	case wo:
		state.SHA256, state.Size = types.StringNull(), types.Int64Null()
	case !info.Regular():
		// Not a file any more (a directory, a symlink): no hash, so the
		// plan writes the file again (or says why it cannot).
		state.SHA256, state.Size = types.StringValue(""), types.Int64Value(0)
	default:
		state.SHA256, state.Size = types.StringValue(info.SHA256), types.Int64Value(info.Size)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// statByReading is StatFile for a guest that blocks guest-exec: the
// content read back and hashed here a chunk at a time (nothing of it is
// kept); no mode or owner.
func statByReading(ctx context.Context, c *qgaclient.Client, p string) (*qgaclient.FileInfo, error) {
	h := sha256.New()
	n, err := c.ReadFileTo(ctx, p, h)
	var ae *qgaclient.AgentError
	if errors.As(err, &ae) && strings.Contains(ae.Desc, "No such file") {
		return &qgaclient.FileInfo{}, nil
	}
	if err != nil {
		return nil, err
	}
	return &qgaclient.FileInfo{Exists: true, Type: "regular file", Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// Delete removes the file, unless keep_on_destroy says to leave it.
func (r *guestFileResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state guestFileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, state.Timeouts, opDelete, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() || state.KeepOnDestroy.ValueBool() {
		return
	}
	p := state.Path.ValueString()
	if !requireKnownURI(r.pd, state.guestRef, &resp.Diagnostics) || skipGoneDomainOnDelete(ctx, r.pd, state.guestRef, "file "+strconv.Quote(p), &resp.Diagnostics) {
		return
	}
	c := r.pd.connect(ctx, state.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	if _, err := c.RemoveFile(ctx, p); err != nil {
		agentError(&resp.Diagnostics, "removing "+strconv.Quote(p), err)
	}
}

// ImportState takes "<domain or agent socket>:<path>": the first ":/"
// ends the guest part (a guest path is absolute).
func (r *guestFileResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	i := strings.Index(req.ID, ":/")
	if i <= 0 {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("expected <domain>:<absolute path> or <agent socket path>:<absolute path>, got %q", req.ID))
		return
	}
	guest, p := req.ID[:i], req.ID[i+1:]
	attr := "domain"
	if strings.HasPrefix(guest, "/") {
		attr = "agent_socket"
	}
	for name, v := range map[string]any{"id": req.ID, "path": p, attr: guest, "create_directories": false, "keep_on_destroy": false} {
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(name), v)...)
	}
}
