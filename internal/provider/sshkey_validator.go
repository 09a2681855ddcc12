package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
)

// authorizedKeysValidator checks at plan time that every element of a set is
// one OpenSSH public key line, and that no key appears twice under
// different comments: guestrules.CheckKeys, the modules' rule too.
type authorizedKeysValidator struct{}

func (authorizedKeysValidator) Description(context.Context) string {
	return "each element must be one OpenSSH public key in authorized_keys format"
}

func (v authorizedKeysValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (authorizedKeysValidator) ValidateSet(ctx context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var elems []types.String
	resp.Diagnostics.Append(req.ConfigValue.ElementsAs(ctx, &elems, false)...)
	var lines []string
	for _, k := range elems {
		if !k.IsUnknown() && !k.IsNull() {
			lines = append(lines, k.ValueString())
		}
	}
	for _, problem := range guestrules.CheckKeys(lines) {
		summary := "Invalid SSH public key"
		if problem.Duplicate {
			summary = "Duplicate SSH public key"
		}
		resp.Diagnostics.AddAttributeError(req.Path, summary, problem.Error())
	}
}
