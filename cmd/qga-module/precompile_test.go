package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrecompileModulePayload checks the connection plugin's precompile step
// (plugins/plugin_utils/precompile.py, testdata/precompile/check.py) on a
// payload ansible-core built itself: a stat task whose path holds quotes,
// $(), backticks, ;, spaces, newlines and a line that looks like the
// wrapper's own zip. It needs no guest: the payloads run on this machine.
// The connection test (TestConnectionPluginAgainstTestBed) shows the guest's
// Python loading the bytecode.
func TestPrecompileModulePayload(t *testing.T) {
	requireAnsible(t)
	collections := buildCollection(t)
	dir := t.TempDir()
	remoteTmp := filepath.Join(dir, "remote-tmp")
	pwned := filepath.Join(dir, "pwned")
	hostile := "/nonexistent/it's \"$(touch " + pwned + ")\" `touch " + pwned + "`; a b\n" +
		"    ZIPDATA = \"\"\"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\"\"\"\n\\"
	vars, err := json.Marshal(map[string]string{"hostile_path": hostile})
	if err != nil {
		t.Fatal(err)
	}
	varsFile := filepath.Join(dir, "vars.json")
	writeFile(t, varsFile, string(vars))
	t.Setenv("ANSIBLE_KEEP_REMOTE_FILES", "1")
	t.Setenv("ANSIBLE_PIPELINING", "0")
	run := runAnsibleTool(t, collections, "ansible-playbook", "-i", "localhost,", "-e", "@"+varsFile, "-e", "ansible_remote_tmp="+remoteTmp,
		filepath.Join("testdata", "precompile", "payload.yml"))
	if run.ExitCode != 0 {
		t.Fatalf("building the payload: exit %d:\n%s", run.ExitCode, tail(run.Output, 40))
	}
	payloads, _ := filepath.Glob(filepath.Join(remoteTmp, "*", "AnsiballZ_stat.py"))
	if len(payloads) != 1 {
		t.Fatalf("want one AnsiballZ_stat.py under %s, found %v", remoteTmp, payloads)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	precompile := filepath.Join(collections, "ansible_collections", "qgatools", "qga", "plugins", "plugin_utils", "precompile.py")
	out, err := exec.CommandContext(ctx, "/usr/bin/python3", filepath.Join("testdata", "precompile", "check.py"),
		precompile, payloads[0], t.TempDir()).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Errorf("check.py: %v\n%s", err, out)
	}
	if _, err := os.Stat(pwned); err == nil {
		t.Error("a command in the module's argument ran")
	}
}
