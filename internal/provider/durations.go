package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// Durations ("90s", "5m", "1h30m") are timetypes.GoDuration attributes: the
// type rejects what time.ParseDuration does not take, at validation. What
// it allows and a timeout cannot be is zero or less: positiveDuration says
// so.

// Defaults, each defined once.
const (
	// defaultAgentTimeout is how long to wait for a guest's agent to
	// answer: a guest that was just started needs seconds to minutes.
	defaultAgentTimeout = 3 * time.Minute
	// defaultCallTimeout bounds one agent command: qgaclient's own default.
	defaultCallTimeout = qgaclient.DefaultCallTimeout
	// defaultExecTimeout is how long a qga_guest_exec command may run.
	defaultExecTimeout = 5 * time.Minute
)

// durationText writes d as a configuration would: "3m", not "3m0s".
func durationText(d time.Duration) string {
	s := d.String()
	s = strings.Replace(s, "m0s", "m", 1)
	return strings.Replace(s, "h0m", "h", 1)
}

// positiveDuration rejects a duration of zero or less, which would time out
// at once. The format is the type's to check.
type positiveDuration struct{}

func (positiveDuration) Description(context.Context) string {
	return "a positive Go duration such as 30s or 5m"
}
func (v positiveDuration) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (positiveDuration) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if d, err := time.ParseDuration(req.ConfigValue.ValueString()); err == nil && d <= 0 {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid duration", notPositive(req.Path, req.ConfigValue.ValueString()))
	}
}

func notPositive(p path.Path, value string) string {
	return fmt.Sprintf("%s must be a positive Go duration such as \"90s\" or \"5m\", got %q", p, value)
}

// durationValue reads an optional duration attribute: def when it is not
// set. The checks above ran at plan time, but a value unknown then (or a
// state written by hand) may hold anything, and a zero timeout would end at
// once: such a value is an error naming the attribute.
func durationValue(v timetypes.GoDuration, name string, def time.Duration, diags *diag.Diagnostics) (time.Duration, bool) {
	if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
		return def, true
	}
	d, dd := v.ValueGoDuration()
	if dd.HasError() || d <= 0 {
		diags.AddAttributeError(path.Root(name), "Invalid "+name, notPositive(path.Root(name), v.ValueString()))
		return 0, false
	}
	return d, true
}

// What every duration attribute's schema has.
var (
	durationType       = timetypes.GoDurationType{}
	durationValidators = []validator.String{positiveDuration{}}
)
