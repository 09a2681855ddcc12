package provider

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
)

// TestAccGuestExecLargeOutput: a command printing 16 MiB (the most the
// agent captures) through libvirt, which cannot carry such a reply: the
// apply succeeds with the output's head in the state, the truncation flags
// true to what happened, and the domain's agent answers at once afterwards
// (it used to stay broken until libvirtd restarted). More than 16 MiB, and
// the bytes themselves: qgaclient's TestRealVMLargeOutput.
//
// It moves 16 MiB through the agent at TCG speed (about a minute), and
// nothing in it depends on the Terraform binary: it runs in make testacc's
// first run only.
func TestAccGuestExecLargeOutput(t *testing.T) {
	testAccOnce(t)
	g := testGuests(t)[0] // libvirt: the socket has no reply limit
	res := "qga_guest_exec.test"
	config := execConfig(g, fmt.Sprintf(`  path = "/bin/sh"
  args = ["-c", "yes qga-big-output | head -c %d; echo done >&2"]
  output_limit = 32`, 16<<20))
	// A broken agent never answers, and libvirt giving up on it is an
	// error at once; a healthy one answers in milliseconds, but took 0.7 s
	// on a busy test bed, so the bound leaves room for a loaded CI machine.
	pingsAtOnce := func(*terraform.State) error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := g.client.Ping(ctx); err != nil {
			return fmt.Errorf("the agent does not answer within 30 s after the exec: %w", err)
		}
		return nil
	}
	head := "qga-big-output\nqga-big-output\nqg"
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(res, tfjsonpath.New("exit_code"), knownvalue.Int64Exact(0)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("stdout"), knownvalue.StringExact(head)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("stdout_truncated"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("stderr"), knownvalue.StringExact("done\n")),
					statecheck.ExpectKnownValue(res, tfjsonpath.New("stderr_truncated"), knownvalue.Bool(false)),
				},
				Check: pingsAtOnce,
			},
		},
	})
}
