package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	dschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	rschema "github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Every resource and data source names its guest by exactly one of these.
const (
	domainDescription      = "Name or UUID of the libvirt domain whose guest agent to use. Exactly one of `domain` and `agent_socket` must be set."
	agentSocketDescription = "Path on the host of a QEMU guest agent chardev socket (`-chardev socket,path=...,server=on`), for guests not managed by libvirt. Exactly one of `domain` and `agent_socket` must be set."
)

func guestTargetValidators() []validator.String {
	return []validator.String{
		stringvalidator.LengthAtLeast(1),
		stringvalidator.ExactlyOneOf(path.MatchRoot("domain"), path.MatchRoot("agent_socket")),
	}
}

// resourceGuestAttributes are the target attributes of a resource: changing
// the guest means a new resource.
func resourceGuestAttributes() map[string]rschema.Attribute {
	return map[string]rschema.Attribute{
		// A changed domain replaces the resource unless it names the same
		// libvirt domain: ModifyPlan decides (see replaceOnOtherDomain), since
		// only it can ask libvirt.
		"domain": rschema.StringAttribute{
			Optional: true, Validators: guestTargetValidators(),
			Description: domainDescription + " Changing it replaces the resource, unless the new value names the same libvirt domain (its name instead of its UUID, or the other way around).",
		},
		"agent_socket": rschema.StringAttribute{
			Optional: true, Description: agentSocketDescription, Validators: guestTargetValidators(),
			PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		},
	}
}

func dataSourceGuestAttributes() map[string]dschema.Attribute {
	return map[string]dschema.Attribute{
		"domain":       dschema.StringAttribute{Optional: true, Description: domainDescription, Validators: guestTargetValidators()},
		"agent_socket": dschema.StringAttribute{Optional: true, Description: agentSocketDescription, Validators: guestTargetValidators()},
	}
}

// withAttributes merges attribute maps (schema attributes shared by types).
func withAttributes[A any](maps ...map[string]A) map[string]A {
	out := map[string]A{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// guestRef is the target part of every model.
type guestRef struct {
	Domain      types.String `tfsdk:"domain"`
	AgentSocket types.String `tfsdk:"agent_socket"`
}

func (g guestRef) target(uri string) qgaclient.Target {
	return qgaclient.Target{URI: uri, Domain: g.Domain.ValueString(), AgentSocket: g.AgentSocket.ValueString()}
}

// idPart is the guest as it appears in import IDs: the domain, or the socket path.
func (g guestRef) idPart() string {
	if g.Domain.ValueString() != "" {
		return g.Domain.ValueString()
	}
	return g.AgentSocket.ValueString()
}

// configured checks that the provider was configured before use.
func configured(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil // ValidateConfig and early plan calls come before Configure
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T: this is a bug in the provider", data))
		return nil
	}
	return pd
}

// connect opens a client for the guest and waits (bounded by the
// operation's timeouts entry when set, else by the provider's
// agent_timeout) until its agent answers. A connection to libvirt that fails
// is reported as such, not as the agent's failure.
func (pd *providerData) connect(ctx context.Context, g guestRef, diags *diag.Diagnostics) *qgaclient.Client {
	target := g.target(pd.uri)
	// qgaclient redacts the URI in its errors; its secrets are scrubbed here
	// once more, whatever quoted them.
	scrub := func(s string) string { return qgaclient.ScrubURISecrets(s, pd.uri) }
	c, err := pd.open(target)
	if err != nil {
		diags.AddError("Invalid guest", scrub(err.Error()))
		return nil
	}
	ctx = tflog.SetField(ctx, "guest", c.Target())
	limit := pd.agentWaitLimit(ctx)
	tflog.Debug(ctx, "waiting for the guest agent", map[string]any{"limit": limit.String()})
	err = c.WaitForAgent(ctx, limit, func(waited time.Duration, cause error) {
		tflog.Debug(ctx, "guest agent not answering yet", map[string]any{"waited": waited.String(), "cause": scrub(cause.Error())})
	})
	switch {
	case errors.Is(err, qgaclient.ErrConnection) && g.Domain.ValueString() != "":
		diags.AddError("Cannot connect to libvirt", scrub(err.Error()))
		return nil
	case errors.Is(err, qgaclient.ErrAgentWaitExpired):
		// Only a wait that ran out can be helped by a longer one.
		diags.AddError("Guest agent not reachable", scrub(err.Error())+". "+pd.raiseHint(ctx))
		return nil
	case err != nil:
		diags.AddError("Guest agent not reachable", scrub(err.Error()))
		return nil
	}
	return c
}

// open returns a client for the target from the provider's pool, with the
// provider's call_timeout.
func (pd *providerData) open(target qgaclient.Target) (*qgaclient.Client, error) {
	return pd.pool.Open(target, qgaclient.Options{CallTimeout: pd.callTimeout})
}

// agentError reports a failed agent call as a diagnostic. what says what
// the provider was doing ("setting the ssh keys").
func agentError(diags *diag.Diagnostics, what string, err error) {
	diags.AddError(strings.ToUpper(what[:1])+what[1:]+" failed", err.Error())
}
