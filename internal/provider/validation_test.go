package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/datasource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

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

// TestAccGuestInterfacesWaitTimeoutUnknownAtPlan: a timeouts.read only known
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
  wait_for = 1
  timeouts {
    read = terraform_data.wait.output
  }
}`,
			ExpectError: regexp.MustCompile(`(?s)(Timeout Cannot Be Parsed|Invalid Attribute Value).*5 minutes`),
		}},
	})
}

// TestGuestInterfacesReadInvalidWaitTimeout: Read itself rejects a
// timeouts.read it cannot parse, instead of waiting 0 s.
func TestGuestInterfacesReadInvalidWaitTimeout(t *testing.T) {
	env := testbed.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d := &guestInterfacesDataSource{pd: &providerData{pool: testPool(t), uri: env.URI, agentTimeout: time.Minute, callTimeout: 10 * time.Second}}
	var sch datasource.SchemaResponse
	d.Schema(ctx, datasource.SchemaRequest{}, &sch)
	cfg := tfsdk.Config{Schema: sch.Schema}
	noList := types.ListNull(types.StringType)
	m := guestInterfacesModel{
		guestRef:      guestRef{Domain: types.StringValue(env.Domain), AgentSocket: types.StringNull()},
		AddressFamily: types.StringNull(), HardwareAddress: types.StringNull(),
		Scope: noList, InterfaceNames: noList, ExcludeInterfaceNames: noList, CIDR: noList,
		WaitFor:     types.Int64Value(1),
		Timeouts:    timeouts.Value{Object: types.ObjectValueMust(map[string]attr.Type{"read": types.StringType}, map[string]attr.Value{"read": types.StringValue("5 minutes")})},
		IPv4Address: types.StringNull(), IPv6Address: types.StringNull(),
	}
	state := tfsdk.State{Schema: sch.Schema}
	if diags := state.Set(ctx, &m); diags.HasError() {
		t.Fatal(diags)
	}
	cfg.Raw = state.Raw
	resp := datasource.ReadResponse{State: tfsdk.State{Schema: sch.Schema}}
	d.Read(ctx, datasource.ReadRequest{Config: cfg}, &resp)
	if !resp.Diagnostics.HasError() || !strings.Contains(fmt.Sprint(resp.Diagnostics), "5 minutes") {
		t.Fatalf("an invalid timeouts.read was accepted: %v", resp.Diagnostics)
	}
}
