package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

var (
	_ resource.ResourceWithConfigure      = (*guestExecResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*guestExecResource)(nil)
	_ resource.ResourceWithValidateConfig = (*guestExecResource)(nil)
)

// guestExecResource runs a command in the guest when created (and again when
// its inputs or triggers change), and optionally another on destroy.
type guestExecResource struct{ pd *providerData }

type guestExecModel struct {
	guestRef
	ID              types.String         `tfsdk:"id"`
	Path            types.String         `tfsdk:"path"`
	Args            types.List           `tfsdk:"args"`
	Env             types.Map            `tfsdk:"env"`
	Input           types.String         `tfsdk:"input"`
	InputWO         types.String         `tfsdk:"input_wo"`
	InputWOVersion  types.Int64          `tfsdk:"input_wo_version"`
	Timeout         timetypes.GoDuration `tfsdk:"timeout"`
	OKExitCodes     types.List           `tfsdk:"ok_exit_codes"`
	Triggers        types.Map            `tfsdk:"triggers"`
	DestroyPath     types.String         `tfsdk:"destroy_path"`
	DestroyArgs     types.List           `tfsdk:"destroy_args"`
	OutputLimit     types.Int64          `tfsdk:"output_limit"`
	ExitCode        types.Int64          `tfsdk:"exit_code"`
	Stdout          types.String         `tfsdk:"stdout"`
	Stderr          types.String         `tfsdk:"stderr"`
	StdoutTruncated types.Bool           `tfsdk:"stdout_truncated"`
	StderrTruncated types.Bool           `tfsdk:"stderr_truncated"`
	PID             types.Int64          `tfsdk:"pid"`
	Timeouts        timeouts.Value       `tfsdk:"timeouts"`
}

// defaultOutputLimit keeps state files small: a command's output is for
// reading a result, not for moving data.
const defaultOutputLimit = 256 << 10

func newGuestExecResource() resource.Resource { return &guestExecResource{} }

func (r *guestExecResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_guest_exec"
}

func (r *guestExecResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		Description: "Runs a command inside the guest through the QEMU guest agent (guest-exec) and records its exit code and output. " +
			"The command runs when the resource is created, and again (as a replacement) when any input or `triggers` changes. " +
			"An exit code not in `ok_exit_codes` fails the apply. " +
			"Output limits: the agent captures at most 16 MiB of each stream. Through libvirt, which cannot carry a reply that large, the command runs under " +
			"a `/bin/sh` wrapper that keeps its output in files of its own in the guest's /tmp (mode 0600), read back with guest-file-read and removed (see the README's Limits); " +
			"Windows guests get the plain guest-exec, whose output must stay under about 3 MB through libvirt: use `agent_socket` for more.\n\n" +
			"What the state keeps: every argument except `input_wo`. `input` and `env` are marked sensitive, which hides them in plans and logs " +
			"but not from anyone who can read the state; `args`, `stdout` and `stderr` are kept in clear. " +
			"Pass secrets through `input_wo` (Terraform/OpenTofu 1.11 and later), which reaches the command's standard input and neither the plan nor the state.",
		Attributes: withAttributes(resourceGuestAttributes(), map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed: true, Description: "`<domain or agent_socket>/<pid>` of the run.",
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"path": schema.StringAttribute{
				Required: true, PlanModifiers: replace, Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
				Description: "Program to run, e.g. `/bin/sh`. Without a slash the agent searches its PATH. No shell is involved: use `/bin/sh` with `args = [\"-c\", \"...\"]` for shell syntax.",
			},
			"args": schema.ListAttribute{
				Optional: true, ElementType: types.StringType, Description: "Arguments, without the program name.",
				PlanModifiers: []planmodifier.List{listplanmodifier.RequiresReplace()},
			},
			"env": schema.MapAttribute{
				Optional: true, ElementType: types.StringType, Sensitive: true,
				Description: "Environment variables. When set, the command gets only these (the agent does not merge them with its own environment), " +
					"plus `PATH=" + guestrules.DefaultGuestPath + "` when they set no `PATH`. " +
					"Marked sensitive (hidden in plans and logs) but stored in the state: for a secret, prefer `input_wo`.",
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"input": schema.StringAttribute{
				Optional: true, Sensitive: true, PlanModifiers: replace,
				Description: "Data for the command's standard input. Marked sensitive (hidden in plans and logs) but stored in the state: " +
					"with Terraform/OpenTofu 1.11 and later prefer `input_wo`. At most one of `input` and `input_wo` may be set. " + largeInputDescription,
				Validators: []validator.String{stringvalidator.ConflictsWith(path.MatchRoot("input_wo"))},
			},
			"input_wo": schema.StringAttribute{
				Optional: true, Sensitive: true, WriteOnly: true,
				Description: "Write-only data for the command's standard input (Terraform/OpenTofu 1.11 and later): sent to the guest, never stored in the plan or the state. " +
					"Terraform cannot see when it changes: bump `input_wo_version` to run the command again with the new value. " + largeInputDescription,
			},
			"input_wo_version": schema.Int64Attribute{
				Optional: true, Description: "Change this number to run the command again with the current `input_wo`.",
				Validators:    []validator.Int64{int64validator.AlsoRequires(path.MatchRoot("input_wo"))},
				PlanModifiers: []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"timeout": schema.StringAttribute{
				Optional: true, Computed: true, Default: stringdefault.StaticString(durationText(defaultExecTimeout)),
				CustomType: durationType, Validators: durationValidators,
				Description: "How long the command (and `destroy_path`'s) may run, as a Go duration. When it passes, the apply fails, and the process is killed in the guest when the agent allows it. " +
					"It bounds the command alone; `timeouts.create` (`timeouts.delete` for the destroy command), when set, bounds the whole operation: the wait for the guest agent, the command and reading its output, " +
					"and the command is killed when that ends first. A `timeout` longer than the `timeouts` entry is refused at plan time, since the entry would always cut the command first.",
			},
			"ok_exit_codes": schema.ListAttribute{
				Optional: true, Computed: true, ElementType: types.Int64Type,
				Default:     listdefault.StaticValue(types.ListValueMust(types.Int64Type, []attr.Value{types.Int64Value(0)})),
				Description: "Exit codes that count as success. Default `[0]`.",
			},
			"triggers": schema.MapAttribute{
				Optional: true, ElementType: types.StringType,
				Description:   "Arbitrary values; changing any of them runs the command again.",
				PlanModifiers: []planmodifier.Map{mapplanmodifier.RequiresReplace()},
			},
			"destroy_path": schema.StringAttribute{
				Optional:    true,
				Description: "Program to run in the guest when the resource is destroyed (and before it is replaced). Its failure fails the destroy.",
			},
			"destroy_args": schema.ListAttribute{
				Optional: true, ElementType: types.StringType, Description: "Arguments for `destroy_path`.",
			},
			"output_limit": schema.Int64Attribute{
				Optional: true, Computed: true, Default: int64default.StaticInt64(defaultOutputLimit),
				Validators:  []validator.Int64{outputLimitValidator{}},
				Description: "At most this many bytes of stdout and of stderr are kept in the state (the agent itself captures at most 16 MiB of each). Longer output is cut, and `stdout_truncated`/`stderr_truncated` say so.",
			},
			"exit_code":        schema.Int64Attribute{Computed: true, Description: "Exit code of the command (128 + signal number when a signal killed it)."},
			"stdout":           schema.StringAttribute{Computed: true, Description: "Standard output, up to `output_limit` bytes; invalid UTF-8 is replaced."},
			"stderr":           schema.StringAttribute{Computed: true, Description: "Standard error, up to `output_limit` bytes."},
			"stdout_truncated": schema.BoolAttribute{Computed: true, Description: "True when stdout was longer than what was kept."},
			"stderr_truncated": schema.BoolAttribute{Computed: true, Description: "True when stderr was longer than what was kept."},
			"pid":              schema.Int64Attribute{Computed: true, Description: "PID of the command in the guest."},
		}),
		Blocks: map[string]schema.Block{"timeouts": timeoutsBlock(ctx, opCreate, opDelete)},
	}
}

func (r *guestExecResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = configured(req.ProviderData, &resp.Diagnostics)
}

func (r *guestExecResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return
	}
	var plan guestExecModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	replaceOnOtherDomain(ctx, r.pd, req, resp)
	requireAtPlan(ctx, r.pd, plan.guestRef, &resp.Diagnostics, "guest-exec", "guest-exec-status")
}

func (r *guestExecResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan, config guestExecModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	ctx, end := startOp(ctx, plan.Timeouts, opCreate, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.pd.connect(ctx, plan.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	cmd := guestrules.Command{
		ExecRequest: qgaclient.ExecRequest{
			Path:  plan.Path.ValueString(),
			Args:  listStrings(ctx, plan.Args, &resp.Diagnostics),
			Env:   guestrules.Env(envVars(ctx, plan.Env, &resp.Diagnostics)),
			Stdin: stdin(plan, config),
		},
		Timeout:     commandTimeout(plan.Timeout, &resp.Diagnostics),
		OKExitCodes: listInts(ctx, plan.OKExitCodes, &resp.Diagnostics),
	}
	checkOutputLimit(path.Root("output_limit"), plan.OutputLimit, &resp.Diagnostics) // unknown at plan time, it was not checked then
	if resp.Diagnostics.HasError() {
		return
	}
	res := runCommand(ctx, c, cmd, &resp.Diagnostics)
	if res == nil {
		return
	}
	plan.InputWO = types.StringNull() // write-only: never in state
	limit := int(plan.OutputLimit.ValueInt64())
	plan.ID = types.StringValue(fmt.Sprintf("%s/%d", plan.idPart(), res.PID))
	plan.PID = types.Int64Value(int64(res.PID))
	plan.ExitCode = types.Int64Value(int64(res.Status))
	var cut bool
	plan.Stdout, cut = outputValue(res.Stdout, limit)
	plan.StdoutTruncated = types.BoolValue(cut || res.StdoutTruncated)
	plan.Stderr, cut = outputValue(res.Stderr, limit)
	plan.StderrTruncated = types.BoolValue(cut || res.StderrTruncated)
	if res.Failure != nil {
		resp.Diagnostics.AddError("Command failed in the guest",
			fmt.Sprintf("%s: %s exited with code %d, not one of ok_exit_codes %v. The command did run; it runs again on the next apply.\nLast lines of stderr:\n%s",
				c.Target(), cmd.Path, res.Status, cmd.OKExitCodes, tail(res.Stderr, 20, 4096)))
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// stdin is the command's standard input: input from the plan, or input_wo,
// which only the configuration has (write-only values are never planned).
func stdin(plan, config guestExecModel) []byte {
	if !config.InputWO.IsNull() {
		return []byte(config.InputWO.ValueString())
	}
	return []byte(plan.Input.ValueString())
}

// runCommand runs a command with guestrules.Run (the modules' rule too)
// and reports failures. On a timeout, the command is killed with the
// processes it started, so nothing lingers in the guest, and the error says
// exactly what was killed. nil: no outcome, the diagnostics say why.
func runCommand(ctx context.Context, c *qgaclient.Client, cmd guestrules.Command, diags *diag.Diagnostics) *guestrules.Outcome {
	tflog.Debug(ctx, "running a command in the guest", map[string]any{"path": cmd.Path, "args": cmd.Args}) // never the input
	res, err := guestrules.Run(ctx, c, cmd)
	switch {
	case guestrules.Stopped(err):
		diags.AddError("Command did not finish", err.Error())
	case errors.Is(err, qgaclient.ErrOutcomeUnknown):
		// The agent restarted or the guest rebooted while the command ran:
		// it is not recorded, so the next apply runs it again.
		diags.AddError("Command outcome unknown", err.Error()+". The command is not recorded: the next apply runs it again.")
	case err != nil:
		agentError(diags, "running "+cmd.Path, err)
	}
	return res
}

// Read keeps the recorded run: a past command has no state in the guest to
// compare with. Only a domain that no longer exists ends the record.
func (r *guestExecResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state guestExecModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || readBeforeURIKnown(ctx, r.pd, state.guestRef) {
		return
	}
	forgetGoneDomain(ctx, r.pd, state.guestRef, "the record of the command "+state.Path.ValueString(), resp)
}

// Update only happens for attributes that do not re-run the command
// (timeout, ok_exit_codes, destroy_*, output_limit, timeouts, the domain
// spelled otherwise): record them.
func (r *guestExecResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state guestExecModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	state.Timeout, state.OKExitCodes, state.OutputLimit = plan.Timeout, plan.OKExitCodes, plan.OutputLimit
	state.DestroyPath, state.DestroyArgs = plan.DestroyPath, plan.DestroyArgs
	state.guestRef, state.Timeouts = plan.guestRef, plan.Timeouts
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *guestExecResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state guestExecModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	ctx, end := startOp(ctx, state.Timeouts, opDelete, &resp.Diagnostics)
	defer end()
	if resp.Diagnostics.HasError() || state.DestroyPath.ValueString() == "" {
		return
	}
	if skipGoneDomainOnDelete(ctx, r.pd, state.guestRef, "the destroy command "+state.DestroyPath.ValueString()+" (not run)", &resp.Diagnostics) {
		return
	}
	c := r.pd.connect(ctx, state.guestRef, &resp.Diagnostics)
	if c == nil {
		return
	}
	cmd := guestrules.Command{
		ExecRequest: qgaclient.ExecRequest{Path: state.DestroyPath.ValueString(), Args: listStrings(ctx, state.DestroyArgs, &resp.Diagnostics)},
		Timeout:     commandTimeout(state.Timeout, &resp.Diagnostics),
	}
	if resp.Diagnostics.HasError() {
		return
	}
	res := runCommand(ctx, c, cmd, &resp.Diagnostics)
	if res != nil && res.Failure != nil {
		resp.Diagnostics.AddError("Destroy command failed in the guest",
			fmt.Sprintf("%s: %s exited with code %d.\nLast lines of stderr:\n%s", c.Target(), cmd.Path, res.Status, tail(res.Stderr, 20, 4096)))
	}
}

// outputValue keeps at most limit bytes, as valid UTF-8.
func outputValue(b []byte, limit int) (types.String, bool) {
	cut := false
	if limit >= 0 && len(b) > limit {
		b, cut = b[:limit], true
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return types.StringValue(s), cut
}

// tail returns the last lines of output (at most maxBytes), for errors.
func tail(b []byte, lines, maxBytes int) string {
	if len(b) > maxBytes {
		b = b[len(b)-maxBytes:]
	}
	parts := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	out := strings.ToValidUTF8(strings.Join(parts, "\n"), "\uFFFD")
	if out == "" {
		return "(empty)"
	}
	return out
}

func listStrings(ctx context.Context, l types.List, diags *diag.Diagnostics) []string {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []string
	diags.Append(l.ElementsAs(ctx, &out, false)...)
	return out
}

func listInts(ctx context.Context, l types.List, diags *diag.Diagnostics) []int {
	if l.IsNull() || l.IsUnknown() {
		return nil
	}
	var out []int64
	diags.Append(l.ElementsAs(ctx, &out, false)...)
	ints := make([]int, len(out))
	for i, v := range out {
		ints[i] = int(v)
	}
	return ints
}

// envVars reads the env map.
func envVars(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]string {
	if m.IsNull() || m.IsUnknown() {
		return nil
	}
	vars := map[string]string{}
	diags.Append(m.ElementsAs(ctx, &vars, false)...)
	return vars
}

// outputLimitValidator rejects a negative output_limit at plan time: the
// truncation would treat it as "no limit" and keep up to 16 MiB of each
// stream in the state.
type outputLimitValidator struct{}

func (outputLimitValidator) Description(context.Context) string {
	return "a number of bytes, 0 or more"
}
func (v outputLimitValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}
func (outputLimitValidator) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	checkOutputLimit(req.Path, req.ConfigValue, &resp.Diagnostics)
}

func checkOutputLimit(p path.Path, v types.Int64, diags *diag.Diagnostics) {
	if v.IsNull() || v.IsUnknown() || v.ValueInt64() >= 0 {
		return
	}
	diags.AddAttributeError(p, "Invalid output_limit",
		fmt.Sprintf("output_limit is %d; it must be 0 or more: the number of bytes of stdout and of stderr kept in the state (0 keeps none). "+
			"There is no \"unlimited\": the agent captures at most 16 MiB of each stream, and state files should not hold that much.", v.ValueInt64()))
}

// commandTimeout reads the timeout attribute (see durationValue).
func commandTimeout(v timetypes.GoDuration, diags *diag.Diagnostics) time.Duration {
	d, _ := durationValue(v, "timeout", defaultExecTimeout, diags)
	return d
}

// largeInputDescription says where large input goes on its way (qgaclient's
// exec_stdin.go).
const largeInputDescription = "Through libvirt, input over 96 KiB is written first to a file under the guest's /tmp (random name, mode 0600) that the command's shell removes before the command runs; on Windows guests use `agent_socket` for that much."

// ValidateConfig refuses a command timeout that cannot be reached: the
// timeouts entry bounds the whole operation, the command included, so a
// longer timeout would always be cut by the entry first, with an error
// about the entry instead of the command.
func (r *guestExecResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var m guestExecModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || m.Timeout.IsNull() || m.Timeout.IsUnknown() {
		return
	}
	command, d := m.Timeout.ValueGoDuration()
	if d.HasError() {
		return // the type reports it
	}
	for _, op := range []string{opCreate, opDelete} {
		limit, dd := timeoutOf(ctx, m.Timeouts, op)
		if dd.HasError() || limit <= 0 || command <= limit || op == opDelete && m.DestroyPath.IsNull() {
			continue
		}
		resp.Diagnostics.AddAttributeError(path.Root("timeout"), "Command timeout longer than the operation's",
			fmt.Sprintf("timeout is %s, longer than timeouts.%s (%s), which bounds the whole %s: the wait for the guest agent and the command. "+
				"Make timeout at most timeouts.%s, or timeouts.%s longer.", durationText(command), op, durationText(limit), op, op, op))
	}
}
