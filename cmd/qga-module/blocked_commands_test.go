package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// blockedTargets are the two agents of the domain qga-blocked (see
// testbed.Blocked) as module options: rhel, through libvirt, blocks
// guest-exec and guest-file-* as RHEL ships qemu-ga; noSSH, the direct
// socket, blocks the ssh-key commands, which a Windows guest lacks. reader
// is a client of the socket agent, which can exec and read files, for
// checking the guest.
func blockedTargets(t *testing.T) (rhel, noSSH map[string]any, reader *qgaclient.Client) {
	t.Helper()
	env := testbed.Blocked(t)
	c, err := qgaclient.Open(qgaclient.Target{AgentSocket: env.Socket}, qgaclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.WaitForAgent(context.Background(), 3*time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"uri": env.URI, "domain": env.Domain}, map[string]any{"agent_socket": env.Socket}, c
}

// blockedTask runs a module against a target with more options.
func blockedTask(t *testing.T, module string, target map[string]any, options map[string]any) taskOutput {
	t.Helper()
	o := map[string]any{"agent_timeout": 60}
	for _, m := range []map[string]any{target, options} {
		for k, v := range m {
			o[k] = v
		}
	}
	return runTask(t, "AnsiballZ_"+module, task(module, o))
}

// guestRun runs a shell command in the guest through reader.
func guestRun(t *testing.T, reader *qgaclient.Client, script string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := reader.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", script}})
	if err != nil || res.ExitCode != 0 {
		t.Fatalf("guest: %s: %+v, %v", script, res, err)
	}
	return string(res.Stdout)
}

// mustFailOnBlocked checks a failure for a blocked command: it names the
// command and the guest setting to change.
func mustFailOnBlocked(t *testing.T, out taskOutput, command string) {
	t.Helper()
	out.mustFail(t, command)
	t.Logf("msg: %s", out.msg())
	for _, want := range []string{"disabled", "/etc/sysconfig/qemu-ga", "--block-rpcs"} {
		if !strings.Contains(out.msg(), want) {
			t.Errorf("msg %q does not say %q", out.msg(), want)
		}
	}
}

// TestModulesOnBlockedAgents: each module either works without the
// blocked commands or fails before any change, naming the command and
// the setting.
func TestModulesOnBlockedAgents(t *testing.T) {
	rhel, noSSH, reader := blockedTargets(t)
	const user = "ansblocked"
	guestRun(t, reader, fmt.Sprintf("id %[1]s >/dev/null 2>&1 || useradd -m -s /bin/sh %[1]s; rm -rf /home/%[1]s/.ssh", user))
	shadow := func() string {
		return strings.Split(guestRun(t, reader, "grep '^"+user+":' /etc/shadow"), ":")[1]
	}
	key := "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ans-blocked"

	t.Run("guest_exec fails without guest-exec", func(t *testing.T) {
		out := blockedTask(t, "guest_exec", rhel, map[string]any{"argv": []string{"/bin/touch", "/tmp/ans-blocked-ran"}})
		mustFailOnBlocked(t, out, "guest-exec")
		// Check mode looks at the guest only for creates/removes, and then
		// fails the same way.
		out = blockedTask(t, "guest_exec", rhel, map[string]any{"argv": []string{"/bin/true"}, "creates": "/etc/passwd", "_ansible_check_mode": true})
		mustFailOnBlocked(t, out, "guest-exec")
		if got := guestRun(t, reader, "test -e /tmp/ans-blocked-ran && echo ran || true"); got != "" {
			t.Errorf("the command ran")
		}
	})
	t.Run("guest_exec works without ssh-key commands", func(t *testing.T) {
		out := blockedTask(t, "guest_exec", noSSH, map[string]any{"argv": []string{"/bin/echo", "ok"}}).mustSucceed(t)
		if out.Result["stdout"] != "ok" {
			t.Errorf("stdout %v", out.Result["stdout"])
		}
	})
	t.Run("guest_ssh_keys fails without ssh-key commands", func(t *testing.T) {
		for _, check := range []bool{true, false} {
			out := blockedTask(t, "guest_ssh_keys", noSSH, map[string]any{"user": user, "keys": []string{key}, "_ansible_check_mode": check})
			mustFailOnBlocked(t, out, "guest-ssh-get-authorized-keys")
		}
		if got := guestRun(t, reader, "test -e /home/"+user+"/.ssh && echo exists || true"); got != "" {
			t.Errorf("the guest changed: /home/%s/.ssh exists", user)
		}
	})
	t.Run("guest_ssh_keys works without guest-exec and files", func(t *testing.T) {
		for i, wantChanged := range []bool{true, false} {
			out := blockedTask(t, "guest_ssh_keys", rhel, map[string]any{"user": user, "keys": []string{key}}).mustSucceed(t)
			if out.changed() != wantChanged {
				t.Errorf("run %d: changed=%v: %s", i+1, out.changed(), out.Raw)
			}
		}
	})
	t.Run("guest_user_password works without files, always changed", func(t *testing.T) {
		const hash = "$6$blockedsalt$Ti18C./jVtAHCgXyZK3DSkoWryvOnHY1ZCHx9dkTHYoNlC9dwk2aLg2JP2gX4XqbwclerYxwuZ1pkNRI4Dh4f."
		for run := 1; run <= 2; run++ {
			out := blockedTask(t, "guest_user_password", rhel, map[string]any{"user": user, "password": hash, "crypted": true}).mustSucceed(t)
			warnings, _ := out.Result["warnings"].([]any)
			if !out.changed() || out.Result["hash_compared"] != false || len(warnings) != 1 ||
				!strings.Contains(fmt.Sprint(warnings[0]), "guest-file-open") || !strings.Contains(fmt.Sprint(warnings[0]), "reported as changed") {
				t.Errorf("run %d: want changed, hash not compared, and a warning naming guest-file-open: %s", run, out.Raw)
			}
			if got := shadow(); got != hash {
				t.Fatalf("run %d: shadow has %q", run, got)
			}
		}
		// Where the files can be read, the same task is idempotent.
		out := blockedTask(t, "guest_user_password", noSSH, map[string]any{"user": user, "password": hash, "crypted": true}).mustSucceed(t)
		if out.changed() || out.Result["hash_compared"] != true {
			t.Errorf("with file access: %s", out.Raw)
		}
		blockedTask(t, "guest_user_password", rhel, map[string]any{"user": user, "password": "plain-Blocked-1"}).mustSucceed(t)
		if got := shadow(); !strings.HasPrefix(got, "$y$") {
			t.Errorf("plain password: shadow has %q", got)
		}
	})
	t.Run("guest_copy and guest_fetch fail without guest-exec and files", func(t *testing.T) {
		dest := "/tmp/ans-blocked-copy-" + randomHex(t, 4)
		local := t.TempDir()
		for _, check := range []bool{true, false} {
			// A content of its own: the module masks the no_log content
			// wherever it appears in the result, the message too.
			out := blockedTask(t, "guest_copy", rhel, map[string]any{"content": randomHex(t, 8), "dest": dest, "_ansible_check_mode": check})
			mustFailOnBlocked(t, out, "guest-exec")
			out = blockedTask(t, "guest_fetch", rhel, map[string]any{"src": "/etc/hostname", "dest": local + "/", "flat": true, "_ansible_check_mode": check})
			mustFailOnBlocked(t, out, "guest-exec")
		}
		mustFailOnBlocked(t, blockedTask(t, "guest_fetch", rhel, map[string]any{"src": "/etc/hostname", "return_content": true}), "guest-exec")
		if got := guestRun(t, reader, "test -e "+dest+" && echo exists || true"); got != "" {
			t.Errorf("the guest changed: %s exists", dest)
		}
		if entries, err := os.ReadDir(local); err != nil || len(entries) != 0 {
			t.Errorf("dest has %v (%v)", entries, err)
		}
	})
	t.Run("guest_copy and guest_fetch work without ssh-key commands", func(t *testing.T) {
		dest := "/tmp/ans-blocked-copy-" + randomHex(t, 4)
		defer guestRun(t, reader, "rm -f "+dest)
		for i, wantChanged := range []bool{true, false} {
			out := blockedTask(t, "guest_copy", noSSH, map[string]any{"content": "not blocked\n", "dest": dest, "mode": "0600"}).mustSucceed(t)
			if out.changed() != wantChanged {
				t.Errorf("guest_copy run %d: changed=%v: %s", i+1, out.changed(), out.Raw)
			}
		}
		local := filepath.Join(t.TempDir(), "copy")
		out := blockedTask(t, "guest_fetch", noSSH, map[string]any{"src": dest, "dest": local, "flat": true}).mustSucceed(t)
		if data, err := os.ReadFile(local); err != nil || string(data) != "not blocked\n" || !out.changed() {
			t.Errorf("guest_fetch: %q, %v: %s", data, err, out.Raw)
		}
	})
	t.Run("guest_osinfo works on both", func(t *testing.T) {
		for _, target := range []map[string]any{rhel, noSSH} {
			out := blockedTask(t, "guest_osinfo", target, nil).mustSucceed(t)
			if w := out.Result["warnings"]; w != nil {
				t.Errorf("%v: warnings %v", target, w)
			}
			facts, _ := out.Result["ansible_facts"].(map[string]any)
			if os, _ := facts["qga_osinfo"].(map[string]any); os["id"] != "debian" {
				t.Errorf("%v: facts %v", target, facts)
			}
		}
	})
	t.Run("guest_interfaces works on both", func(t *testing.T) {
		for _, target := range []map[string]any{rhel, noSSH} {
			out := blockedTask(t, "guest_interfaces", target, map[string]any{"interface_names": []string{"lo"}, "scope": []string{"loopback"}}).mustSucceed(t)
			if w := out.Result["warnings"]; w != nil {
				t.Errorf("%v: warnings %v", target, w)
			}
			if !strings.Contains(out.Raw, "127.0.0.1") {
				t.Errorf("%v: no loopback address in %s", target, out.Raw)
			}
		}
	})
}
