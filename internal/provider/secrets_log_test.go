package provider

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// traceLog turns on TF_LOG=trace for the test's Terraform runs and returns
// the file the log goes to.
func traceLog(t *testing.T) string {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "tf.log")
	t.Setenv("TF_LOG", "trace")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	return logFile
}

// traceLogHasNo fails the test when the trace log holds any of the secrets
// (or when there is no real log to search).
func traceLogHasNo(t *testing.T, logFile string, secrets ...string) {
	t.Helper()
	log, err := os.ReadFile(logFile)
	if err != nil || len(log) < 1000 {
		t.Fatalf("no trace log to check (%d bytes, %v)", len(log), err)
	}
	for _, s := range secrets {
		if strings.Contains(string(log), s) {
			t.Fatalf("a secret appears in the TF_LOG=trace log %s", logFile)
		}
	}
}

// TestAccProviderURIPasswordNeverShown: a password in the provider's uri
// (issue 11, item 2) appears neither in the error Terraform shows nor in a
// TF_LOG=trace log; the connection failure is named as such and is fast.
func TestAccProviderURIPasswordNeverShown(t *testing.T) {
	const secret = "uRi-Pass-6620"
	logFile := traceLog(t)
	checked, start := false, time.Now()
	// Through a variable, as in real use: the harness logs each step's
	// configuration text at trace level.
	t.Setenv("TF_VAR_qga_uri", "qemu+libssh://root:"+secret+"@127.0.0.1:"+testbed.ClosedPort(t)+"/system?sshauth=password&known_hosts_verify=ignore")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{{
			Config: `
variable "qga_uri" {
  type      = string
  sensitive = true
}
provider "qga" {
  uri           = var.qga_uri
  agent_timeout = "2m"
}
data "qga_guest_osinfo" "test" {
  domain = "qga-testbed"
}
`,
		}},
		// The error Terraform shows names the connection, shows the URI
		// redacted and holds no secret.
		ErrorCheck: func(err error) error {
			checked = true
			msg := err.Error()
			switch {
			case strings.Contains(msg, secret):
				return fmt.Errorf("the URI password is in the error: %w", err)
			case !regexp.MustCompile(`(?s)Cannot connect to libvirt.*root:xxxxx@127\.0\.0\.1`).MatchString(msg):
				return fmt.Errorf("want a connection error with the URI redacted: %w", err)
			}
			return nil
		},
	})
	if !checked {
		t.Fatal("the configuration applied: want a connection error")
	}
	if d := time.Since(start); d > 60*time.Second {
		t.Errorf("the connection error took %s with agent_timeout 2m: a refused port cannot heal", d)
	}
	traceLogHasNo(t, logFile, secret)
}
