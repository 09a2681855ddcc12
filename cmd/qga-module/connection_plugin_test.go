package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// The connection plugin qgatools.qga.qga and the inventory plugin
// qgatools.qga.libvirt_guests, run by the real ansible-core against a guest
// with python3 and sudo (the test bed's "python" variant, booted as a
// domain of its own, qga-ansible, and taken down at the end). Its second
// agent, the one on the direct socket, blocks guest-exec and
// guest-file-open, as RHEL's agent does by default.

const (
	connDomain  = "qga-ansible"
	connBlocked = "guest-exec,guest-file-open"
	connUser    = "connuser"
	bigFileSize = 16 << 20
)

func TestConnectionPluginAgainstTestBed(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the VM and ansible-core")
	}
	requireAnsible(t)
	collections := buildCollection(t)
	start := time.Now()
	env := testbed.Variant(t, connDomain, "python", "qga1_args=--block-rpcs="+connBlocked)
	t.Logf("domain %s up in %s", connDomain, time.Since(start).Round(time.Second))

	dir := t.TempDir()
	inventory := filepath.Join(dir, "guests.libvirt_guests.yml")
	writeFile(t, inventory, "plugin: qgatools.qga.libvirt_guests\nuri: "+env.URI+"\n")

	// An ad hoc module through the inventory plugin's host. ping, not
	// setup: the playbook below gathers facts through the same inventory and
	// checks them, and setup runs dozens of programs in the guest.
	t.Run("ping through the inventory plugin", func(t *testing.T) {
		run := runAnsibleTool(t, collections, "ansible", "-i", inventory, "all", "--limit", connDomain, "-m", "ping")
		if run.ExitCode != 0 || !strings.Contains(run.Output, `"ping": "pong"`) {
			t.Fatalf("ansible -m ping: exit %d:\n%s", run.ExitCode, tail(run.Output, 60))
		}
		list := runAnsibleTool(t, collections, "ansible-inventory", "-i", inventory, "--list")
		for _, want := range []string{`"qga_state": "running"`, `"qga_os_debian"`, `"ansible_connection": "qgatools.qga.qga"`} {
			if !strings.Contains(list.Output, want) {
				t.Errorf("ansible-inventory has no %s:\n%s", want, tail(list.Output, 60))
			}
		}
	})

	t.Run("playbook twice", func(t *testing.T) {
		big := filepath.Join(dir, "big.bin")
		data := make([]byte, bigFileSize)
		if _, err := rand.Read(data); err != nil {
			t.Fatal(err)
		}
		writeFile(t, big, string(data))
		sum := sha256.Sum256(data)
		fetchDir := filepath.Join(dir, "fetched")
		// A become password, as users set one for all hosts: sudo as root
		// asks for none, and the password must neither reach the module's
		// stdin nor the output.
		becomePassword := "qga-become-" + randomHex(t, 8)
		vars, err := json.Marshal(map[string]any{
			"run_id": randomHex(t, 4), "conn_user": connUser, "big_local": big,
			"big_sha256": hex.EncodeToString(sum[:]), "fetch_dir": fetchDir,
			"ansible_become_password": becomePassword,
		})
		if err != nil {
			t.Fatal(err)
		}
		varsFile := filepath.Join(dir, "vars.json")
		writeFile(t, varsFile, string(vars))
		playbook := filepath.Join("testdata", "connection", "playbook.yml")
		for i, wantChanged := range []bool{true, false} {
			run := runAnsibleTool(t, collections, "ansible-playbook", "-v", "-i", inventory, "--limit", connDomain, "-e", "@"+varsFile, playbook)
			r := run.recap(t, connDomain)
			if run.ExitCode != 0 || r.Failed != 0 || r.Unreachable != 0 {
				t.Fatalf("run %d: exit %d, %+v:\n%s", i+1, run.ExitCode, r, tail(run.Output, 120))
			}
			if strings.Contains(run.Output, becomePassword) {
				t.Errorf("run %d: the become password appears in the output", i+1)
			}
			if (r.Changed > 0) != wantChanged {
				t.Errorf("run %d: %+v, want changed > 0: %v:\n%s", i+1, r, wantChanged, tail(run.Output, 120))
			}
		}
		got, err := os.ReadFile(filepath.Join(fetchDir, "big.bin"))
		if err != nil {
			t.Fatalf("the fetched file: %v", err)
		}
		if gotSum := sha256.Sum256(got); gotSum != sum {
			t.Errorf("the 16 MiB file fetched back differs (%d bytes)", len(got))
		}
	})

	t.Run("guest blocks guest-exec", func(t *testing.T) {
		static := filepath.Join(dir, "blocked.ini")
		writeFile(t, static, "blocked ansible_connection=qgatools.qga.qga ansible_qga_socket="+env.Socket+"\n")
		run := runAnsibleTool(t, collections, "ansible", "-i", static, "blocked", "-m", "ping")
		if run.ExitCode == 0 {
			t.Fatalf("ping through an agent that blocks guest-exec succeeded:\n%s", run.Output)
		}
		for _, want := range []string{"guest-exec", "disabled", "--block-rpcs"} {
			if !strings.Contains(run.Output, want) {
				t.Errorf("the error does not say %q:\n%s", want, tail(run.Output, 30))
			}
		}
	})
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// runAnsibleTool runs ansible, ansible-playbook or ansible-inventory with
// the test's collection, hermetically (ansibleEnv).
func runAnsibleTool(t *testing.T, collections, tool string, args ...string) playbookRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = ansibleEnv(t, collections)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	run := playbookRun{Output: out.String(), Took: time.Since(start)}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		run.ExitCode = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("%s: %v\n%s", tool, err, run.Output)
	}
	t.Logf("%s %s: exit %d in %s", tool, strings.Join(args, " "), run.ExitCode, run.Took.Round(time.Millisecond))
	return run
}
