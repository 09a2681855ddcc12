package provider

import (
	"context"
	"fmt"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// Bad values get a clear error naming the attribute, never a silent
// default.

func TestAccGuestExecOutputLimitNegative(t *testing.T) {
	g := testGuests(t)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: execConfig(g, `  path         = "/bin/true"
  output_limit = -1`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)Invalid output_limit.*output_limit is -1; it must be 0 or more`),
		}},
	})
}

// TestAccGuestInterfacesWaitTimeoutUnknownAtPlan: a wait_timeout only known
// at apply time escapes the plan-time check; an invalid one must still fail,
// not become 0. (Terraform and OpenTofu validate it again once known; the
// Read below is what answers when they do not.)
func TestAccGuestInterfacesWaitTimeoutUnknownAtPlan(t *testing.T) {
	g := testGuests(t)[0]
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: g.provider() + `resource "terraform_data" "wait" {
  input = "5 minutes"
}
data "qga_guest_interfaces" "x" {
  ` + g.hcl + `
  wait_for_address = true
  wait_timeout     = terraform_data.wait.output
}`,
			ExpectError: regexp.MustCompile(`(?s)Invalid\s+(wait_timeout|Time\s+Duration\s+String\s+Value).*5\s+minutes`),
		}},
	})
}

// TestGuestInterfacesReadInvalidWaitTimeout: Read itself rejects a
// wait_timeout it cannot parse, instead of waiting 0 s.
func TestGuestInterfacesReadInvalidWaitTimeout(t *testing.T) {
	env := testbed.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := &guestInterfacesDataSource{pd: &providerData{pool: testPool(t), uri: env.URI, agentTimeout: time.Minute, callTimeout: 10 * time.Second}}
	var sch datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &sch)
	cfg := tfsdk.Config{Schema: sch.Schema}
	m := guestInterfacesModel{
		guestRef:        guestRef{Domain: types.StringValue(env.Domain), AgentSocket: types.StringNull()},
		AddressFamily:   types.StringNull(),
		IncludeLoopback: types.BoolNull(),
		WaitForAddress:  types.BoolValue(true),
		WaitTimeout:     timetypes.NewGoDurationValueFromStringMust("1m"),
	}
	state := tfsdk.State{Schema: sch.Schema}
	if diags := state.Set(ctx, &m); diags.HasError() {
		t.Fatal(diags)
	}
	// The framework refuses to set what its type rejects: put the bad
	// value into the raw configuration, as Terraform would send it.
	raw, err := tftypes.Transform(state.Raw, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if p.Equal(tftypes.NewAttributePath().WithAttributeName("wait_timeout")) {
			return tftypes.NewValue(tftypes.String, "5 minutes"), nil
		}
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Raw = raw
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: sch.Schema}}
	d.Read(ctx, datasource.ReadRequest{Config: cfg}, &resp)
	if !resp.Diagnostics.HasError() || !strings.Contains(fmt.Sprint(resp.Diagnostics), "wait_timeout") {
		t.Fatalf("an invalid wait_timeout was accepted: %v", resp.Diagnostics)
	}
}
