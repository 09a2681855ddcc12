package provider

import (
	"context"
	"encoding/base64"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Plan-time checks of qga_guest_file's attributes, with qgaclient's rules
// (CheckPutFile), so the plan refuses what the write would.

// stringCheck is a string validator made of a description and a check.
type stringCheck struct {
	what  string
	check func(string) error
}

func (v stringCheck) Description(context.Context) string             { return v.what }
func (v stringCheck) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (v stringCheck) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+v.what, err.Error())
	}
}

var (
	guestPathValidator = stringCheck{"absolute guest path", func(s string) error {
		return qgaclient.CheckPutFile(qgaclient.PutFileRequest{Path: s})
	}}
	base64Validator = stringCheck{"base64 content", func(s string) error {
		_, err := base64.StdEncoding.DecodeString(s)
		return err
	}}
	fileModeValidator = stringCheck{"file mode", func(s string) error {
		_, err := guestrules.ParseFileMode(s)
		return err
	}}
	ownerValidator = stringCheck{"owner", func(s string) error {
		return qgaclient.CheckPutFile(qgaclient.PutFileRequest{Path: "/x", Owner: s})
	}}
	groupValidator = stringCheck{"group", func(s string) error {
		return qgaclient.CheckPutFile(qgaclient.PutFileRequest{Path: "/x", Group: s})
	}}
)
