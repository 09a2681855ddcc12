package provider

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// killAgentMidUpload starts, in the guest, a watcher that kills the agent
// (kill -9; the guest's supervisor starts a new one) as soon as a temporary
// file of PutFile in dir holds 4 MiB, and leaves a mark saying it did. It
// gives up after 2 minutes. dir is the test's own, no quoting needed.
const killAgentMidUpload = `d=` + faultFileDir + `
rm -f /run/qga-fault-killed
nohup sh -c '
i=0
while [ $i -lt 2400 ]; do
	for f in "$1"/.qga-put-*; do
		if [ -f "$f" ] && [ "$(stat -c %s -- "$f")" -ge 4194304 ]; then
			touch /run/qga-fault-killed; kill -9 "$(cat /run/qga0/qemu-ga.pid)"; exit 0
		fi
	done
	sleep 0.05; i=$((i+1))
done' qga-killer "$d" >/dev/null 2>&1 &`

const faultFileDir = "/opt/qga-fault-file"

// TestFaultApplyFileUploadAgentKilled: the agent is killed while a 32 MiB
// source is being uploaded over an existing file. The apply fails saying
// the old file is left as it was; the old file is whole (same sha256) and
// no temporary file is left in its directory (PutFile removes it through
// the restarted agent); the next apply writes the new file.
func TestFaultApplyFileUploadAgentKilled(t *testing.T) {
	const domain = "qga-faults-tf-filekill"
	env := faultGuest(t, domain)
	c, err := testProvider.clientPool().Open(qgaclient.Target{URI: env.URI, Domain: domain}, qgaclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g := testGuest{name: "libvirt", hcl: fmt.Sprintf("domain = %q", domain), id: domain, client: c, env: env}

	const dir = faultFileDir
	const p = dir + "/big.bin"
	old := strings.Repeat("the old file, whole\n", 1000)
	src := filepath.Join(t.TempDir(), "big.bin")
	data := make([]byte, 32<<20)
	_, _ = rand.Read(data)
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	config := func(content string) string {
		return fmt.Sprintf(`provider "qga" {
  uri           = %[1]q
  agent_timeout = "2m"
}
resource "qga_guest_file" "f" {
  domain             = %[2]q
  path               = %[3]q
  create_directories = true
  %[4]s
}
`, env.URI, domain, p, content)
	}
	withOld := config(fmt.Sprintf("content = %q", old))
	withBig := config(fmt.Sprintf("source = %q", src))
	// guestHas: the file's sha256, and nothing else in its directory.
	guestHas := func(want string) error {
		out := g.run(t, "sha256sum "+p+" | cut -d' ' -f1; ls -A "+dir)
		lines := strings.Fields(out)
		if len(lines) == 0 || lines[0] != want {
			return fmt.Errorf("%s has sha256 %v, want %s", p, lines, want)
		}
		if rest := lines[1:]; len(rest) != 1 || rest[0] != "big.bin" {
			return fmt.Errorf("%s holds %v: a temporary file was left behind", dir, rest)
		}
		return nil
	}
	start := time.Now()
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { g.run(t, "rm -rf "+dir) },
				Config:    withOld,
				Check:     func(*terraform.State) error { return guestHas(sha256Hex(old)) },
			},
			{
				PreConfig:   func() { g.run(t, killAgentMidUpload) },
				Config:      withBig,
				ExpectError: regexp.MustCompile(`(?s)upload\s+broke\s+off.*left\s+as\s+it\s+was.*` + domain),
			},
			{
				PreConfig: func() {
					t.Logf("the failed apply took %s", time.Since(start).Round(time.Second))
					waitForAgent(t, qgaclient.Target{URI: env.URI, Domain: domain})
					g.run(t, "test -e /run/qga-fault-killed || { echo 'the agent was not killed: the test did not test anything' >&2; exit 1; }")
					if err := guestHas(sha256Hex(old)); err != nil {
						t.Fatalf("after the interrupted upload: %v", err)
					}
				},
				Config: withBig,
				Check:  func(*terraform.State) error { return guestHas(sha256Hex(string(data))) },
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("qga_guest_file.f", tfjsonpath.New("sha256"), knownvalue.StringExact(sha256Hex(string(data)))),
				},
			},
		},
	})
}
