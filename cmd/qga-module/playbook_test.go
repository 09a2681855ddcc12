package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// The real thing: Debian's ansible-playbook runs the collection, built by
// ansible/build-collection.sh, against the test bed VM, naming the guest
// both ways (libvirt domain and direct agent socket) and running the
// modules both ways users do (on the hypervisor, and delegated to the
// controller). The playbooks in testdata/ assert on each result; this test
// checks the recaps and that no secret reaches the -vvv output.

// sha512-crypt hashes of two throwaway passwords; the test only needs them
// to differ and to be valid.
const (
	testHash1 = "$6$qgasalt1$imG9tkjhOZLSK9Gjpfkm6K0zN.LBQgzipyR2goSbgiDrgNm02UuP1n2wbtwjc.85QnnnZMNN2iXueRZeajyH1."
	testHash2 = "$6$qgasalt2$8l0KLNVviKndf.bNVfvbkMGrKX.VeRWZW5jGIAAAlwXd51RONpyj9JgzFp9T/ee2c.oSdYubQIBCR164dpMNW0"
)

// playbookUser is this test's own guest user: other tests use alice and
// bob at the same time.
const playbookUser = "ansibleuser"

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestPlaybooksAgainstTestBed(t *testing.T) {
	env := testbed.Require(t)
	requireAnsible(t)
	collections := buildCollection(t)

	runID := randomHex(t, 4)
	sleepFraction := fmt.Sprint(100000 + int(runID[0])*1000 + int(runID[1]))
	secrets := map[string]string{
		"plain password": "qga-pw-" + randomHex(t, 8),
		"stdin secret":   "qga-stdin-" + randomHex(t, 8),
		"file secret":    "qga-file-" + randomHex(t, 8),
		"hash 1":         testHash1,
		"hash 2":         testHash2,
	}
	baseVars := map[string]any{
		"qga_uri":        env.URI,
		"qga_run_id":     runID,
		"test_user":      playbookUser,
		"plain_password": secrets["plain password"],
		"stdin_secret":   secrets["stdin secret"],
		"file_secret":    secrets["file secret"],
		"hash_1":         testHash1,
		"hash_2":         testHash2,
		// Unique, so that the test can tell its killed sleep is gone.
		"sleep_seconds": "37." + sleepFraction,
		"sleep_pattern": "3[7][.]" + sleepFraction,
		"key_a":         newPublicKey(t) + " a@qga-test",
		"key_b":         newPublicKey(t) + " b@qga-test",
		"key_c":         `from="10.0.0.1,10.0.0.2",no-pty ` + newPublicKey(t) + " c@qga-test",
	}

	for _, target := range []struct{ name, varName, value string }{
		{"domain", "qga_domain", env.Domain},
		{"agent_socket", "qga_socket", env.Socket},
	} {
		t.Run(target.name, func(t *testing.T) {
			vars := map[string]any{target.varName: target.value}
			for k, v := range baseVars {
				vars[k] = v
			}
			var outputs []playbookRun

			t.Run("modules on the hypervisor", func(t *testing.T) {
				run := runPlaybook(t, collections, "modules.yml", vars)
				outputs = append(outputs, run)
				run.mustPass(t, "modules.yml", "hypervisor", 12)
				if !strings.Contains(run.Output, `"password": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"`) {
					t.Errorf("no masked password in the -vvv invocation output")
				}
			})

			t.Run("idempotence", func(t *testing.T) {
				vars := withVar(vars, "local_dir", t.TempDir())
				first := runPlaybook(t, collections, "idempotent.yml", vars)
				second := runPlaybook(t, collections, "idempotent.yml", vars)
				check := runPlaybook(t, collections, "idempotent.yml", vars, "--check", "--diff")
				outputs = append(outputs, first, second, check)
				for i, run := range []playbookRun{first, second, check} {
					if r := run.recap(t, "hypervisor"); run.ExitCode != 0 || r.Failed != 0 {
						t.Fatalf("idempotent.yml run %d failed (exit %d, %+v):\n%s", i+1, run.ExitCode, r, tail(run.Output, 100))
					}
				}
				if r := second.recap(t, "hypervisor"); r.Changed != 0 || r.OK != 8 {
					t.Errorf("second run: %+v, want 8 ok and 0 changed:\n%s", r, tail(second.Output, 100))
				}
				if r := check.recap(t, "hypervisor"); r.Changed != 0 {
					t.Errorf("check-mode run: %+v, want 0 changed:\n%s", r, tail(check.Output, 100))
				}
			})

			t.Run("files", func(t *testing.T) {
				// The big round trip's chunking matters through libvirt (its
				// reply limits); the socket carries any size alike, so a
				// smaller file proves it there and saves minutes of make test.
				bigSize := 16 << 20
				if target.name == "agent_socket" {
					bigSize = 1 << 20
				}
				vars := withVar(vars, "big_size", bigSize)
				run := runPlaybook(t, collections, "files.yml", withVar(vars, "local_dir", t.TempDir()))
				outputs = append(outputs, run)
				run.mustPass(t, "files.yml", "hypervisor", 4)
			})

			t.Run("delegate_to localhost", func(t *testing.T) {
				run := runPlaybook(t, collections, "controller.yml", withVar(vars, "local_dir", t.TempDir()))
				outputs = append(outputs, run)
				run.mustPass(t, "controller.yml", "testvm", 0)
			})

			for _, run := range outputs {
				for what, secret := range secrets {
					if strings.Contains(run.Output, secret) {
						i := strings.Index(run.Output, secret)
						t.Errorf("the %s appears in the ansible-playbook -vvv output: ...%s...", what, run.Output[max(0, i-300):min(len(run.Output), i+100)])
					}
				}
			}
		})
	}
}

// mustPass fails the test unless the playbook ran without a failure on
// host and each of its failure cases failed, caught by ignore_errors.
func (r playbookRun) mustPass(t *testing.T, playbook, host string, failureCases int) {
	t.Helper()
	rc := r.recap(t, host)
	if r.ExitCode != 0 || rc.Failed != 0 || rc.Unreachable != 0 {
		t.Fatalf("%s failed (exit %d, %+v):\n%s", playbook, r.ExitCode, rc, tail(r.Output, 150))
	}
	if rc.Ignored != failureCases {
		t.Errorf("%s: %d failing tasks ignored, want the %d failure cases:\n%s", playbook, rc.Ignored, failureCases, tail(r.Output, 80))
	}
}

// withVar is a copy of vars with one more.
func withVar(vars map[string]any, name string, value any) map[string]any {
	out := map[string]any{name: value}
	for k, v := range vars {
		out[k] = v
	}
	return out
}

// tail keeps the last n lines of a long output for a failure message.
// newPublicKey returns a fresh ed25519 public key, "ssh-ed25519 AAAA...":
// the modules refuse what is not a real key.
func newPublicKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(key)))
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[len(lines)-n:], "\n")
}
