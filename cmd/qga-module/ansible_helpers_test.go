package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Helpers for the tests that run the real ansible-core (Debian's
// ansible-core 2.14) against the collection as build-collection.sh builds
// it.

// requireAnsible makes sure ansible-playbook and ansible-doc exist,
// installing Debian's ansible-core when running as root.
func requireAnsible(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs ansible-core: skipped in -short mode")
	}
	ansibleOnce.Do(func() {
		if haveAnsible() {
			return
		}
		if os.Geteuid() != 0 {
			ansibleErr = "ansible-core is not installed and this is not root: apt-get install ansible-core"
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "apt-get", "install", "-y", "ansible-core").CombinedOutput()
		if err != nil {
			// A fresh system may have no package lists yet.
			out2, _ := exec.CommandContext(ctx, "apt-get", "update").CombinedOutput()
			out3, err3 := exec.CommandContext(ctx, "apt-get", "install", "-y", "ansible-core").CombinedOutput()
			if err3 != nil {
				ansibleErr = "apt-get install ansible-core: " + string(out) + string(out2) + string(out3)
				return
			}
		}
		if !haveAnsible() {
			ansibleErr = "ansible-core installed but ansible-playbook/ansible-doc not found"
		}
	})
	if ansibleErr != "" {
		if os.Getenv("CI") == "" && os.Geteuid() != 0 {
			t.Skip(ansibleErr)
		}
		t.Fatal(ansibleErr)
	}
}

var (
	ansibleOnce sync.Once
	ansibleErr  string
)

func haveAnsible() bool {
	for _, tool := range []string{"ansible-playbook", "ansible-doc", "ansible-galaxy"} {
		if _, err := exec.LookPath(tool); err != nil {
			return false
		}
	}
	return true
}

// repoRootDir is the repository's root: two levels above this package.
func repoRootDir(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "ansible", "build-collection.sh")); err != nil {
		t.Fatalf("repository root not found from the test's directory: %v", err)
	}
	return root
}

var (
	collectionOnce sync.Once
	collectionDir  string
	collectionErr  string
)

// buildCollection builds the collection once per test process, with the
// real build script, into a temporary directory usable as
// ANSIBLE_COLLECTIONS_PATH.
func buildCollection(t *testing.T) string {
	t.Helper()
	root := repoRootDir(t)
	collectionOnce.Do(func() {
		dir, err := os.MkdirTemp("", "qga-collection-test-")
		if err != nil {
			collectionErr = err.Error()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "bash", filepath.Join(root, "ansible", "build-collection.sh"), dir).CombinedOutput()
		if err != nil {
			collectionErr = "ansible/build-collection.sh: " + err.Error() + "\n" + string(out)
			return
		}
		collectionDir = dir
	})
	if collectionErr != "" {
		t.Fatal(collectionErr)
	}
	return collectionDir
}

// TestMain removes the collection built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if collectionDir != "" {
		os.RemoveAll(collectionDir)
	}
	os.Exit(code)
}

// ansibleEnv is a hermetic environment for ansible-core: the test's
// collection, no user or system configuration, temporary directories of
// its own, no colour.
func ansibleEnv(t *testing.T, collections string) []string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "ansible.cfg")
	if err := os.WriteFile(cfg, []byte("[defaults]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(),
		"ANSIBLE_CONFIG="+cfg,
		"ANSIBLE_COLLECTIONS_PATH="+collections,
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(dir, "local"),
		"ANSIBLE_REMOTE_TMP="+filepath.Join(dir, "remote"),
		"ANSIBLE_NOCOLOR=1",
		"ANSIBLE_FORCE_COLOR=0",
		"ANSIBLE_RETRY_FILES_ENABLED=0",
		"ANSIBLE_HOST_KEY_CHECKING=0",
		"ANSIBLE_STDOUT_CALLBACK=default",
		"ANSIBLE_DEPRECATION_WARNINGS=0",
	)
}

// playbookRun is the outcome of one ansible-playbook run.
type playbookRun struct {
	Output   string // stdout and stderr together, as a user would see them
	ExitCode int
	Took     time.Duration
}

// runPlaybook runs ansible-playbook -vvv with the test's inventory and
// variables (a JSON file, so that nothing secret is on the command line).
func runPlaybook(t *testing.T, collections, playbook string, vars map[string]any, extraArgs ...string) playbookRun {
	t.Helper()
	dir := t.TempDir()
	varsFile := filepath.Join(dir, "vars.json")
	data, err := json.Marshal(vars)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(varsFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-vvv", "-i", filepath.Join("testdata", "inventory.ini"), "-e", "@" + varsFile}, extraArgs...)
	args = append(args, filepath.Join("testdata", playbook))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ansible-playbook", args...)
	cmd.Env = ansibleEnv(t, collections)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err = cmd.Run()
	run := playbookRun{Output: out.String(), Took: time.Since(start)}
	if err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			t.Fatalf("ansible-playbook: %v\n%s", err, run.Output)
		}
		run.ExitCode = exitErr.ExitCode()
	}
	t.Logf("ansible-playbook %s %v: exit %d in %s", playbook, extraArgs, run.ExitCode, run.Took.Round(time.Millisecond))
	return run
}

// recap is one host's line of the PLAY RECAP.
type recap struct{ OK, Changed, Unreachable, Failed, Skipped, Ignored int }

var recapLine = regexp.MustCompile(`(?m)^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)\s+rescued=\d+\s+ignored=(\d+)`)

func (r playbookRun) recap(t *testing.T, host string) recap {
	t.Helper()
	for _, m := range recapLine.FindAllStringSubmatch(r.Output, -1) {
		if m[1] != host {
			continue
		}
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		return recap{OK: n(2), Changed: n(3), Unreachable: n(4), Failed: n(5), Skipped: n(6), Ignored: n(7)}
	}
	t.Fatalf("no PLAY RECAP line for %s in:\n%s", host, r.Output)
	return recap{}
}
