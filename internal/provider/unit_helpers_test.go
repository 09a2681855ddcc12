package provider

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient/qgatest"
)

// Unit tests: real Terraform runs the provider against qgatest's fake agent
// through the agent-socket transport, with no VM, in `go test -short`. The
// real-VM acceptance tests are the *_test.go files without "unit".

// unitTest runs tc against a fake agent, in parallel with the other unit
// tests. The provider is testProvider: its pool lives for the whole test
// process. Pools made per Terraform command would each hold the fake
// agent's socket until they idle out (Serve closes them in a real provider
// process, but in-process test servers never end that way).
func unitTest(t *testing.T, tc resource.TestCase) {
	t.Helper()
	requireTerraform(t)
	t.Parallel()
	tc.ProtoV6ProviderFactories = testAccProviders
	resource.UnitTest(t, tc)
}

// unitConfig is a configuration for the fake agent: the provider block
// (short timeouts: the fake answers at once) and body, in which %[1]q is
// the agent socket.
func unitConfig(a *qgatest.Agent, body string) string {
	return `provider "qga" {
  agent_timeout = "5s"
  call_timeout  = "5s"
}
` + fmt.Sprintf(body, a.Socket())
}

var (
	terraformOnce  sync.Once
	terraformFound bool
)

// requireTerraform points terraform-plugin-testing at a Terraform binary
// that is here (it would otherwise try to download one): TF_ACC_TERRAFORM_PATH,
// the Terraform 1.5.7 that scripts/install-tf.sh builds, or terraform on
// PATH. Without one the test is skipped.
func requireTerraform(t *testing.T) {
	t.Helper()
	terraformOnce.Do(func() {
		if os.Getenv("TF_ACC_TERRAFORM_PATH") == "" {
			if p := localTerraform(); p != "" {
				os.Setenv("TF_ACC_TERRAFORM_PATH", p)
			}
		}
		terraformFound = os.Getenv("TF_ACC_TERRAFORM_PATH") != ""
		// A CLI configuration file that does not exist makes Terraform warn
		// and OpenTofu fail: use an empty one.
		if cfg := os.Getenv("TF_CLI_CONFIG_FILE"); cfg == "" || !exists(cfg) {
			empty := filepath.Join(os.TempDir(), "qga-unit-empty.tfrc")
			if os.WriteFile(empty, nil, 0o644) == nil {
				os.Setenv("TF_CLI_CONFIG_FILE", empty)
			}
		}
	})
	if !terraformFound {
		t.Skip("no Terraform binary: set TF_ACC_TERRAFORM_PATH (bash scripts/install-tf.sh terraform prints one) or put terraform on PATH")
	}
}

func localTerraform() string {
	cache := os.Getenv("QGA_CACHE")
	if cache == "" {
		if home, err := os.UserHomeDir(); err == nil {
			cache = filepath.Join(home, ".cache", "qga-tools")
		}
	}
	if p := filepath.Join(cache, "bin", "terraform-v1.5.7"); cache != "" && exists(p) {
		return p
	}
	p, _ := exec.LookPath("terraform")
	return p
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
