package provider

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// setStrings reads a set of strings (empty for null or unknown).
func setStrings(ctx context.Context, s types.Set, diags *diag.Diagnostics) []string {
	if s.IsNull() || s.IsUnknown() {
		return []string{}
	}
	out := []string{}
	diags.Append(s.ElementsAs(ctx, &out, false)...)
	return out
}

func stringSet(values []string, diags *diag.Diagnostics) types.Set {
	if values == nil {
		values = []string{}
	}
	s, d := types.SetValueFrom(context.Background(), types.StringType, values)
	diags.Append(d...)
	return s
}

// splitImportID splits "<guest>/<name>" at the last slash, so a socket path
// (which has slashes of its own) can be the guest part.
func splitImportID(id string) (guest, name string, ok bool) {
	i := strings.LastIndex(id, "/")
	if i <= 0 || i == len(id)-1 {
		return "", "", false
	}
	return id[:i], id[i+1:], true
}

// planCheckTimeout bounds the plan-time look at the guest: a plan must not
// wait for a guest that is still booting.
const planCheckTimeout = 10 * time.Second

// requireAtPlan checks at plan time that the guest's agent has the commands
// a resource needs, so a disabled command fails the plan instead of half an
// apply. Only a definite answer fails the plan: a guest that is unknown,
// missing, shut off or not answering yet (it may be created or started in
// the same apply), or a provider uri not known yet, is checked at apply time.
func requireAtPlan(ctx context.Context, pd *providerData, g guestRef, diags *diag.Diagnostics, commands ...string) {
	if pd == nil || g.Domain.IsUnknown() || g.AgentSocket.IsUnknown() || diags.HasError() {
		return
	}
	if !g.Domain.IsNull() && !pd.canQueryLibvirt() {
		return
	}
	c, err := pd.open(g.target(pd.uri))
	if err != nil {
		return // the apply reports it
	}
	ctx, cancel := context.WithTimeout(ctx, planCheckTimeout)
	defer cancel()
	err = c.Require(ctx, commands...)
	switch {
	case errors.Is(err, qgaclient.ErrCommandDisabled), errors.Is(err, qgaclient.ErrCommandUnsupported):
		diags.AddError("Guest agent cannot do this", err.Error())
	case err != nil:
		tflog.Debug(ctx, "plan-time check of the guest agent skipped", map[string]any{"cause": err.Error()})
	}
}
