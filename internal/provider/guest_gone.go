package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// What every resource does about its guest's life outside Terraform: a
// domain that was removed, or a provider uri not known yet at plan time.

// domainGone says whether libvirt definitely knows no domain of that name or
// UUID any more. Anything less than that answer (libvirt unreachable, a
// socket guest, a uri not known yet) is "not gone": the caller goes on and
// reports what it finds.
func domainGone(ctx context.Context, pd *providerData, g guestRef) bool {
	if !pd.canQueryLibvirt() || g.Domain.IsNull() || g.Domain.IsUnknown() || g.Domain.ValueString() == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, pd.callTimeout)
	defer cancel()
	_, err := pd.pool.LookupDomain(ctx, pd.uri, g.Domain.ValueString())
	if err != nil && !errors.Is(err, qgaclient.ErrDomainNotFound) {
		tflog.Debug(ctx, "could not check whether the domain still exists", map[string]any{"cause": err.Error()})
	}
	return errors.Is(err, qgaclient.ErrDomainNotFound)
}

// forgetGoneDomain drops a resource whose domain no longer exists from the
// state (with a warning that says so), so that plan and destroy go on. It
// returns true when it did.
func forgetGoneDomain(ctx context.Context, pd *providerData, g guestRef, what string, resp *resource.ReadResponse) bool {
	if !domainGone(ctx, pd, g) {
		return false
	}
	resp.Diagnostics.AddWarning("Domain no longer exists",
		fmt.Sprintf("libvirt knows no domain %q any more, so %s is removed from the state. "+
			"If the configuration still lists it, the plan creates it again.", g.Domain.ValueString(), what))
	resp.State.RemoveResource(ctx)
	return true
}

// skipGoneDomainOnDelete tells Delete that there is nothing left to delete:
// the domain, and everything in it, is gone.
func skipGoneDomainOnDelete(ctx context.Context, pd *providerData, g guestRef, what string, diags *diag.Diagnostics) bool {
	if !domainGone(ctx, pd, g) {
		return false
	}
	diags.AddWarning("Domain no longer exists",
		fmt.Sprintf("libvirt knows no domain %q any more: %s had nothing left to remove.", g.Domain.ValueString(), what))
	return true
}

// readBeforeURIKnown says whether a resource's Read has to keep its state as
// it is, because its guest is a domain and the provider's uri is not known
// yet (a plan whose uri comes from a resource created in the same apply):
// reading now would ask the default hypervisor.
func readBeforeURIKnown(ctx context.Context, pd *providerData, g guestRef) bool {
	if pd == nil || !pd.uriUnknown || g.Domain.IsNull() {
		return false
	}
	tflog.Debug(ctx, "the provider's uri is not known yet: the state is kept as it is")
	return true
}

// requireKnownURI fails a data source read of a domain while the provider's
// uri is not known: answering from the default hypervisor could describe
// another guest.
func requireKnownURI(pd *providerData, g guestRef, diags *diag.Diagnostics) bool {
	if pd == nil || !pd.uriUnknown || g.Domain.IsNull() {
		return true
	}
	diags.AddError("Provider uri not known yet",
		"The qga provider's uri is computed from something that is created in this apply, so this data source cannot be read during the plan. "+
			"Give the provider a uri that is known at plan time (a literal or a variable), or apply the resource the uri comes from first (terraform apply -target=...).")
	return false
}
