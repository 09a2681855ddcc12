package provider

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-timetypes/timetypes"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// A resource whose domain was removed must not block the workspace: the
// plan drops it, and a destroy has nothing left to do.

const goneDomain = "qga-gone-tf"

func goneConfig(uri string) string {
	return fmt.Sprintf(`provider "qga" {
  uri           = %q
  agent_timeout = "3m"
}
resource "qga_guest_ssh_keys" "k" {
  domain   = %[2]q
  username = "root"
  keys     = [%[3]q]
}
resource "qga_guest_user_password" "p" {
  domain   = %[2]q
  username = "root"
  password = "gone-Secret-4"
}
resource "qga_guest_exec" "e" {
  domain       = %[2]q
  path         = "/bin/true"
  destroy_path = "/bin/true"
}
`, uri, goneDomain, testKey1)
}

func TestAccGuestDomainGone(t *testing.T) {
	env := testGuests(t)[0].env
	testbed.TransientGuest(t, goneDomain, true)
	waitForAgent(t, qgaclient.Target{URI: env.URI, Domain: goneDomain})
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []tfresource.TestStep{
			{Config: goneConfig(env.URI)},
			{ // The domain is removed behind Terraform's back (a transient domain vanishes when destroyed).
				PreConfig: func() {
					if out, err := exec.Command("virsh", "-q", "-c", env.URI, "destroy", goneDomain).CombinedOutput(); err != nil {
						t.Fatalf("virsh destroy %s: %v: %s", goneDomain, err, out)
					}
				},
				Config: goneConfig(env.URI),
				ConfigPlanChecks: tfresource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{
						plancheck.ExpectResourceAction("qga_guest_ssh_keys.k", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("qga_guest_user_password.p", plancheck.ResourceActionCreate),
						plancheck.ExpectResourceAction("qga_guest_exec.e", plancheck.ResourceActionCreate),
					},
				},
				PlanOnly: true, ExpectNonEmptyPlan: true,
			},
			// The test's own destroy then runs with the domain gone: it must succeed.
		},
	})
}

// TestGuestDeleteGoneDomain calls Delete directly with a state whose domain
// does not exist (a destroy with -refresh=false, or a domain removed between
// refresh and delete): there is nothing left to delete, which is success.
func TestGuestDeleteGoneDomain(t *testing.T) {
	env := testbed.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pd := &providerData{pool: testPool(t), uri: env.URI, agentTimeout: 5 * time.Second, callTimeout: 10 * time.Second}
	gone := guestRef{Domain: types.StringValue("qga-never-defined"), AgentSocket: types.StringNull()}
	keys := stringSet([]string{testKey1}, &diag.Diagnostics{})
	for name, c := range map[string]struct {
		r     resource.Resource
		model any
	}{
		"ssh_keys": {&guestSSHKeysResource{pd: pd}, &guestSSHKeysModel{
			guestRef: gone, ID: types.StringValue("qga-never-defined/root"), Username: types.StringValue("root"), Keys: keys, Exclusive: types.BoolValue(false),
			Timeouts: nullTimeouts(opCreate, opRead, opUpdate, opDelete),
		}},
		"exec": {&guestExecResource{pd: pd}, execModelWithDestroy(gone)},
	} {
		t.Run(name, func(t *testing.T) {
			var sch resource.SchemaResponse
			c.r.Schema(ctx, resource.SchemaRequest{}, &sch)
			state := tfsdk.State{Schema: sch.Schema}
			if d := state.Set(ctx, c.model); d.HasError() {
				t.Fatal(d)
			}
			resp := resource.DeleteResponse{State: state}
			c.r.Delete(ctx, resource.DeleteRequest{State: state}, &resp)
			if resp.Diagnostics.HasError() {
				t.Fatalf("Delete with the domain gone: %v", resp.Diagnostics)
			}
			if len(resp.Diagnostics) == 0 {
				t.Error("Delete said nothing about the domain being gone")
			}
			read := resource.ReadResponse{State: state}
			c.r.Read(ctx, resource.ReadRequest{State: state}, &read)
			if read.Diagnostics.HasError() || !read.State.Raw.IsNull() {
				t.Fatalf("Read with the domain gone kept the resource: %v", read.Diagnostics)
			}
		})
	}
}

// waitForAgent waits until a guest that was just started answers.
func waitForAgent(t *testing.T, target qgaclient.Target) {
	t.Helper()
	c, err := qgaclient.Open(target, qgaclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.WaitForAgent(context.Background(), 4*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
}

func execModelWithDestroy(g guestRef) *guestExecModel {
	null := types.StringNull()
	return &guestExecModel{
		guestRef: g, ID: types.StringValue("qga-never-defined/1"), Path: types.StringValue("/bin/true"),
		Args: types.ListNull(types.StringType), Env: types.MapNull(types.StringType), Input: null, InputWO: null, InputWOVersion: types.Int64Null(),
		Timeout: timetypes.NewGoDurationValueFromStringMust("1m"), OKExitCodes: types.ListNull(types.Int64Type), Triggers: types.MapNull(types.StringType),
		DestroyPath: types.StringValue("/bin/true"), DestroyArgs: types.ListNull(types.StringType), OutputLimit: types.Int64Value(100),
		ExitCode: types.Int64Value(0), Stdout: null, Stderr: null, StdoutTruncated: types.BoolNull(), StderrTruncated: types.BoolNull(), PID: types.Int64Value(1),
		Timeouts: nullTimeouts(opCreate, opDelete),
	}
}

// nullTimeouts is an unset timeouts block with entries for ops, as a state
// without the block holds it.
func nullTimeouts(ops ...string) timeouts.Value {
	attrTypes := map[string]attr.Type{}
	for _, op := range ops {
		attrTypes[op] = types.StringType
	}
	return timeouts.Value{Object: types.ObjectNull(attrTypes)}
}

// trapDefaultURI points LIBVIRT_DEFAULT_URI at a socket that only counts
// connections: a plan that falls back to the default hypervisor shows up.
func trapDefaultURI(t *testing.T) *atomic.Int32 {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "trap.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var n atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	t.Setenv("LIBVIRT_DEFAULT_URI", "qemu:///system?socket="+sock)
	return &n
}

// TestAccProviderURIUnknownAtPlan: a uri computed from a resource created
// in the same apply. The plan must not ask the default hypervisor (which
// may have a domain of the same name); the apply uses the real uri.
func TestAccProviderURIUnknownAtPlan(t *testing.T) {
	g := testGuests(t)[0]
	trap := trapDefaultURI(t)
	provider := func(name string) string {
		return fmt.Sprintf(`resource "terraform_data" %[1]q {
  input = %[2]q
}
provider "qga" {
  uri           = terraform_data.%[1]s.output
  agent_timeout = "2m"
}
`, name, g.env.URI)
	}
	noTrap := func(*terraform.State) error {
		if n := trap.Load(); n > 0 {
			return fmt.Errorf("the plan connected %d time(s) to the default hypervisor (LIBVIRT_DEFAULT_URI) while the uri was unknown", n)
		}
		return nil
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []tfresource.TestStep{
			{
				Config: provider("uri") + fmt.Sprintf(`resource "qga_guest_exec" "e" {
  %s
  path = "/bin/echo"
  args = ["uri-known"]
}`, g.hcl),
				Check: tfresource.ComposeTestCheckFunc(noTrap, tfresource.TestCheckResourceAttr("qga_guest_exec.e", "stdout", "uri-known\n")),
			},
			{ // A data source cannot be read before the uri is known: a clear error, and no look at the default.
				Config: provider("uri2") + fmt.Sprintf(`data "qga_guest_osinfo" "o" {
  %s
}`, g.hcl),
				ExpectError: regexp.MustCompile(`uri not known yet`),
			},
			{
				Config: provider("uri2"),
				Check:  noTrap,
			},
		},
	})
}
