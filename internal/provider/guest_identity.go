package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// A domain named by its UUID in the state and by its name in the
// configuration (or the other way around) is the same guest.

// replaceOnOtherDomain asks for a replacement when the plan's domain differs
// from the state's, unless both name the same libvirt domain: an import by
// UUID with a configuration naming the domain by name is the same guest.
// When that cannot be checked (uri not known, libvirt unreachable), a
// different spelling means a replacement, as before.
func replaceOnOtherDomain(ctx context.Context, pd *providerData, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.State.Raw.IsNull() || req.Plan.Raw.IsNull() {
		return
	}
	var before, after types.String
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("domain"), &before)...)
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("domain"), &after)...)
	if resp.Diagnostics.HasError() || before.Equal(after) {
		return
	}
	if sameDomain(ctx, pd, before, after) {
		tflog.Debug(ctx, "the domain is named differently but is the same libvirt domain: no replacement",
			map[string]any{"state": before.ValueString(), "plan": after.ValueString()})
		return
	}
	resp.RequiresReplace = append(resp.RequiresReplace, path.Root("domain"))
}

// sameDomain says whether libvirt resolves both values to one domain UUID.
func sameDomain(ctx context.Context, pd *providerData, a, b types.String) bool {
	if !pd.canQueryLibvirt() || a.IsNull() || a.IsUnknown() || b.IsNull() || b.IsUnknown() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, planCheckTimeout)
	defer cancel()
	da, err := pd.pool.LookupDomain(ctx, pd.uri, a.ValueString())
	if err != nil {
		return false
	}
	db, err := pd.pool.LookupDomain(ctx, pd.uri, b.ValueString())
	return err == nil && da.UUID == db.UUID
}
