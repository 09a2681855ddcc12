package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// buildModuleBinary builds this program as Ansible would copy it to a
// host, named AnsiballZ_<module>.
func buildModuleBinary(t *testing.T, module string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "AnsiballZ_"+module)
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	return bin
}

// TestURIPasswordNeverInOutput runs the module binary with a password (and
// a secret query value) in its uri, for each way the connection fails, and
// searches all it prints, stdout and stderr, for the secret in any form.
func TestURIPasswordNeverInOutput(t *testing.T) {
	const password = "Pa55%21w0rd-in-uri" // percent-encoded: "Pa55!w0rd-in-uri"
	forms := []string{password, "Pa55!w0rd-in-uri", "w0rd-in-uri"}
	bin := buildModuleBinary(t, "guest_osinfo")
	port := testbed.ClosedPort(t)
	uris := map[string]string{
		"libssh refused":      "qemu+libssh://root:" + password + "@127.0.0.1:" + port + "/system?known_hosts_verify=ignore&sshauth=password",
		"tcp refused":         "qemu+tcp://root:" + password + "@127.0.0.1:" + port + "/system",
		"ssh takes none":      "qemu+ssh://root:" + password + "@127.0.0.1:" + port + "/system",
		"url.Parse rejects":   "qemu+libssh://root:%zz" + password + "@127.0.0.1:" + port + "/system",
		"secret query value":  "qemu+tcp://127.0.0.1:" + port + "/system?token=" + password,
		"password in name=":   "qemu+tcp://127.0.0.1:" + port + "/system?name=" + url.QueryEscape("qemu+libssh://u:"+password+"@h/system"),
		"domain not a string": "qemu+libssh://root:" + password + "@127.0.0.1:" + port + "/system?sshauth=password",
	}
	if !testing.Short() {
		// A real sshd that refuses the password (it takes keys only).
		remote := testbed.RequireRemote(t)
		sshPort := strings.Split(strings.Split(remote.LibSSH, "@127.0.0.1:")[1], "/")[0]
		uris["libssh password refused by sshd"] = "qemu+libssh://root:" + password + "@127.0.0.1:" + sshPort + "/system?known_hosts_verify=ignore&sshauth=password"
	}
	for name, uri := range uris {
		t.Run(name, func(t *testing.T) {
			options := map[string]any{"uri": uri, "domain": "qga-testbed"}
			if name == "domain not a string" {
				options["domain"] = map[string]any{"bad": uri} // a validation failure that echoes values
			}
			data, err := json.Marshal(task("guest_osinfo", options))
			if err != nil {
				t.Fatal(err)
			}
			argsFile := filepath.Join(t.TempDir(), "args")
			if err := os.WriteFile(argsFile, data, 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, argsFile)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			start := time.Now()
			runErr := cmd.Run()
			took := time.Since(start)
			t.Logf("exit %v in %s: %s", runErr, took.Round(time.Millisecond), stdout.String())
			for _, form := range forms {
				if strings.Contains(stdout.String(), form) || strings.Contains(stderr.String(), form) {
					t.Fatalf("the URI's secret %q is in the output:\nstdout: %s\nstderr: %s", form, stdout.String(), stderr.String())
				}
			}
			var res map[string]any
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("stdout is not one JSON object: %v: %s", err, stdout.String())
			}
			if res["failed"] != true || runErr == nil {
				t.Fatalf("the task did not fail: %s", stdout.String())
			}
			args := res["invocation"].(map[string]any)["module_args"].(map[string]any)
			if args["uri"] != qgaclient.RedactURI(uri) {
				t.Errorf("invocation.module_args.uri = %v, want %s", args["uri"], qgaclient.RedactURI(uri))
			}
			// agent_timeout is 120 s by default: none of these may wait for it.
			if took > 15*time.Second {
				t.Errorf("took %s to fail", took.Round(time.Millisecond))
			}
		})
	}
}
