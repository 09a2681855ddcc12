package bench

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

// planConfig is 50 resources on one guest: 25 qga_guest_ssh_keys for one
// user (each reads authorized_keys from the guest on refresh) and 25
// qga_guest_exec (whose refresh reads nothing).
func planConfig(b *testing.B, uri, domain string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "terraform {\n  required_providers {\n    qga = { source = \"qgatools/qga\" }\n  }\n}\n\nprovider \"qga\" {\n  uri = %q\n}\n\n", uri)
	for i := range 25 {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		sp, err := ssh.NewPublicKey(pub)
		if err != nil {
			b.Fatal(err)
		}
		key := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sp))) + fmt.Sprintf(" bench-%d", i)
		fmt.Fprintf(&sb, "resource \"qga_guest_ssh_keys\" \"k%d\" {\n  domain   = %q\n  username = \"alice\"\n  keys     = [%q]\n}\n\n", i, domain, key)
		fmt.Fprintf(&sb, "resource \"qga_guest_exec\" \"e%d\" {\n  domain = %q\n  path   = \"/bin/true\"\n  triggers = { n = \"%d\" }\n}\n\n", i, domain, i)
	}
	return sb.String()
}

// BenchmarkTerraformPlan: `terraform plan` (refresh included) of 50 applied
// resources on one guest, and the same plan with -refresh=false (Terraform
// and the provider's start, no guest I/O) for reference.
// devTerraform builds the provider into a new directory and returns the
// path of a CLI configuration that makes Terraform use it, and the binary.
func devTerraform(b *testing.B) (rc, provider string) {
	dir := b.TempDir()
	plugins := filepath.Join(dir, "plugins")
	provider = filepath.Join(plugins, "terraform-provider-qga")
	build := exec.Command("go", "build", "-o", provider, ".")
	build.Dir, build.Env = env.Root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building the provider: %v\n%s", err, out)
	}
	rc = filepath.Join(dir, "dev.tfrc")
	if err := os.WriteFile(rc, fmt.Appendf(nil, "provider_installation {\n  dev_overrides {\n    \"registry.terraform.io/qgatools/qga\" = %q\n  }\n  direct {}\n}\n", plugins), 0o644); err != nil {
		b.Fatal(err)
	}
	return rc, provider
}

// terraformWith writes config to a new working directory and returns a
// function that runs Terraform there with the provider just built (a plan
// may exit 2); during each run, watch (when set) gets the provider's path.
func terraformWith(b *testing.B, tf, config string, watch func(provider string) func()) func(args ...string) (time.Duration, int) {
	rc, provider := devTerraform(b)
	work := filepath.Join(filepath.Dir(rc), "work")
	if err := os.MkdirAll(work, 0o755); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o644); err != nil {
		b.Fatal(err)
	}
	return func(args ...string) (time.Duration, int) {
		cmd := exec.Command(tf, append(args, "-input=false", "-no-color")...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+rc, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1", "TF_LOG=")
		stop := func() {}
		if watch != nil {
			stop = watch(provider)
		}
		t0 := time.Now()
		out, err := cmd.CombinedOutput()
		d := time.Since(t0)
		stop()
		code := cmd.ProcessState.ExitCode()
		if err != nil && (args[0] != "plan" || code != 2) {
			b.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return d, code
	}
}

func BenchmarkTerraformPlan(b *testing.B) {
	need(b, 1)
	tf := os.Getenv("QGA_BENCH_TERRAFORM")
	if tf == "" {
		b.Skip("QGA_BENCH_TERRAFORM names no Terraform binary (bench/run.sh sets it)")
	}
	run := terraformWith(b, tf, planConfig(b, env.URI, env.Domains[0]), nil)
	apply, _ := run("apply", "-auto-approve")
	var plans, norefresh []float64
	vs := []variant{
		{"terraform plan", func() float64 {
			d, code := run("plan", "-detailed-exitcode")
			if code != 0 {
				b.Fatalf("plan after apply wants changes (exit %d)", code)
			}
			return d.Seconds()
		}},
		{"terraform plan -refresh=false", func() float64 { d, _ := run("plan", "-refresh=false"); return d.Seconds() }},
	}
	res := interleave(rounds(5, 2), vs)
	plans, norefresh = res[0], res[1]
	p, n := summarize(plans), summarize(norefresh)
	record(row{key: "8a", what: "`terraform plan` of 50 applied resources on one guest (refresh included)", how: "Terraform 1.5.7 + provider, libvirt", unit: "s", s: p,
		notes: fmt.Sprintf("refresh: %.0f ms per resource", (p.Median-n.Median)*1000/50)})
	record(row{key: "8b", what: "the same with -refresh=false (no guest I/O)", how: "Terraform 1.5.7 + provider", unit: "s", s: n})
	record(row{key: "8c", what: "`terraform apply` of the 50 resources (once)", how: "Terraform 1.5.7 + provider, libvirt", text: fmt.Sprintf("%.1f s", apply.Seconds())})
	run("destroy", "-auto-approve")
}
