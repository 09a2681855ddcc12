package provider

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// Acceptance tests run real Terraform (TF_ACC_TERRAFORM_PATH: Terraform
// 1.5.7 or OpenTofu 1.12) against the real test bed VM, through both
// transports; `make test` runs them with each binary.

// testProvider serves every test of this package, and the tests' own
// clients come from its pool: they and the provider share one connection
// per agent socket, which QEMU serves to one client at a time.
var testProvider = New("test")().(*QGAProvider)

var testAccProviders = map[string]func() (tfprotov6.ProviderServer, error){
	"qga": providerserver.NewProtocol6WithError(testProvider),
}

// testPool is a client pool closed at the test's end.
func testPool(t *testing.T) *qgaclient.Pool {
	p := qgaclient.NewPool()
	t.Cleanup(func() { p.Close() })
	return p
}

// testGuest is one way of reaching the test bed guest.
type testGuest struct {
	name   string // subtest name
	hcl    string // the target attribute, e.g. `domain = "qga-testbed"`
	id     string // the guest part of import IDs
	client *qgaclient.Client
	env    testbed.Env
}

func testGuests(t *testing.T) []testGuest {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 (make test does, with Terraform and with OpenTofu)")
	}
	env := testbed.Require(t)
	open := func(target qgaclient.Target) *qgaclient.Client {
		c, err := testProvider.clientPool().Open(target, qgaclient.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitForAgent(context.Background(), 3*time.Minute, nil); err != nil {
			t.Fatal(err)
		}
		return c
	}
	return []testGuest{
		{"libvirt", fmt.Sprintf("domain = %q", env.Domain), env.Domain, open(qgaclient.Target{URI: env.URI, Domain: env.Domain}), env},
		{"socket", fmt.Sprintf("agent_socket = %q", env.Socket), env.Socket, open(qgaclient.Target{AgentSocket: env.Socket}), env},
	}
}

// testAccOnce skips a slow acceptance test whose outcome does not depend
// on the Terraform CLI in make testacc's runs after the first
// (QGA_ACC_REPEAT=1), which repeat the suite with other CLIs.
func testAccOnce(t *testing.T) {
	t.Helper()
	if os.Getenv("QGA_ACC_REPEAT") != "" {
		t.Skip("does not depend on the CLI: runs in the first acceptance run only (QGA_ACC_REPEAT is set)")
	}
}

func (g testGuest) provider() string {
	return fmt.Sprintf("provider \"qga\" {\n  uri = %q\n  agent_timeout = \"2m\"\n}\n", g.env.URI)
}

// run executes a shell command in the guest for test setup and checks.
func (g testGuest) run(t *testing.T, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := g.client.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", script}})
	if err != nil {
		t.Fatalf("guest: %s: %v", script, err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("guest: %s: exit %d: %s", script, res.ExitCode, res.Stderr)
	}
	return string(res.Stdout)
}

// sleeping lists the guest's sleep processes with arg (a unique number
// such as 300.1234) as an argument: a command's leftovers.
func (g testGuest) sleeping(t *testing.T, arg string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := g.client.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", testbed.GuestSleepsScript, "sh", testbed.SleepPattern(arg)}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("guest: looking for sleep %s: %+v, %v", arg, res, err)
	}
	return strings.Fields(string(res.Stdout))
}

// ensureUser creates a guest user (with a home) for one test, so tests of
// different packages running at once do not share accounts.
func (g testGuest) ensureUser(t *testing.T, user string) {
	t.Helper()
	g.run(t, fmt.Sprintf("id %[1]s >/dev/null 2>&1 || useradd -m -s /bin/sh %[1]s", user))
}

func (g testGuest) readFile(path string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := g.client.ReadFile(ctx, path)
	return string(b), err
}

// shadowHash returns the user's password field in the guest's /etc/shadow.
func (g testGuest) shadowHash(user string) (string, error) {
	shadow, err := g.readFile("/etc/shadow")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(shadow, "\n") {
		if f := strings.Split(line, ":"); len(f) > 1 && f[0] == user {
			return f[1], nil
		}
	}
	return "", fmt.Errorf("no %s in the guest's /etc/shadow", user)
}
