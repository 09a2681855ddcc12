package qgaclient

import (
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/digitalocean/go-libvirt"
)

// hostileValues are what an attacker who controls a URI (an inventory, a
// module argument) would put in it to run a command on the hypervisor.
// Each tries to create the file named by MARK in the test's directory.
var hostileValues = map[string]string{
	"single quote":       `/run/x'; touch MARK; '`,
	"double quote":       `/run/x"; touch MARK; "`,
	"command subst":      `/run/$(touch MARK)`,
	"backticks":          "/run/`touch MARK`",
	"semicolon":          `/run/x;touch MARK;`,
	"spaces":             `/run/with  two spaces`,
	"newline":            "/run/x\ntouch MARK\n",
	"IFS":                `/run/x$(touch${IFS}MARK)`,
	"redirect":           `/run/x'>MARK'`,
	"quote then subst":   `'$(touch MARK)'`,
	"escaped quote":      `\'; touch MARK; \'`,
	"issue 11 socket":    `/var/run/libvirt/libvirt-sock';touch MARK;'`,
	"glob and variables": `/run/* $HOME ${PATH} ~ !x &`,
}

// fakeRemote is a directory to put first on PATH in which virt-ssh-helper
// and nc record their arguments (NUL-separated) instead of proxying.
func fakeRemote(t *testing.T, withHelper bool) (dir, argvFile string) {
	t.Helper()
	dir = t.TempDir()
	argvFile = filepath.Join(dir, "argv")
	record := "#!/bin/sh\nprintf '%s\\0' \"$0\" \"$@\" > " + shellQuote(argvFile) + "\n"
	tools := map[string]string{"nc": record}
	if withHelper {
		tools["virt-ssh-helper"] = record
	}
	for name, script := range tools {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// What an injected command would need, so that a failed quoting shows
	// as a created file rather than as "command not found".
	for _, tool := range []string{"sh", "touch"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(path, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir, argvFile
}

// runAsRemoteShell runs ssh's remote command the way sshd does: the login
// shell gets it as one string, sh -c COMMAND, here with only the fake
// tools on PATH and the test directory as working directory.
func runAsRemoteShell(t *testing.T, dir, command string) []string {
	t.Helper()
	cmd := exec.Command("/bin/sh", "-c", command)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + dir, "HOME=" + dir}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("remote command failed: %v: %s\ncommand: %s", err, out, command)
	}
	data, err := os.ReadFile(filepath.Join(dir, "argv"))
	if err != nil {
		t.Fatalf("the fake proxy did not run: %v\ncommand: %s", err, command)
	}
	argv := strings.Split(strings.TrimSuffix(string(data), "\x00"), "\x00")
	argv[0] = filepath.Base(argv[0])
	return argv
}

func sshURI(path, socket, name string) *url.URL {
	q := url.Values{"keyfile": {"/k"}, "no_verify": {"1"}}
	if socket != "" {
		q.Set("socket", socket)
	}
	if name != "" {
		q.Set("name", name)
	}
	return &url.URL{Scheme: "qemu+ssh", User: url.User("root"), Host: "127.0.0.1:2222", Path: path, RawQuery: q.Encode()}
}

// TestSSHRemoteCommandQuotesEveryValue runs the exact remote command of
// the qemu+ssh dialer under sh with hostile values in the socket path, the
// URI path and the remote URI (name=): each must reach virt-ssh-helper or
// nc as one unchanged argument, and no injected command may run.
func TestSSHRemoteCommandQuotesEveryValue(t *testing.T) {
	for name, value := range hostileValues {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				where      string
				u          *url.URL
				withHelper bool
				want       func(u *url.URL) []string
			}{
				{"socket path to nc", sshURI("/system", value, ""), false,
					func(*url.URL) []string { return []string{"nc", "-U", value} }},
				{"URI path to virt-ssh-helper", sshURI("/system"+value, "", ""), true,
					func(u *url.URL) []string { return []string{"virt-ssh-helper", string(libvirt.RemoteURI(u))} }},
				{"name= to virt-ssh-helper", sshURI("/system", "", "qemu:///system"+value), true,
					func(*url.URL) []string { return []string{"virt-ssh-helper", "qemu:///system" + value} }},
			} {
				t.Run(tc.where, func(t *testing.T) {
					dir, _ := fakeRemote(t, tc.withHelper)
					mark := filepath.Join(dir, "MARK")
					d, err := newSSHCommandDialer(tc.u)
					if err != nil {
						t.Fatal(err)
					}
					if i := slices.Index(d.args, "--"); i < 0 || i != len(d.args)-3 || d.args[i+1] != "127.0.0.1" {
						t.Fatalf("ssh arguments %q: want -- HOST COMMAND at the end", d.args)
					}
					command := d.args[len(d.args)-1]
					argv := runAsRemoteShell(t, dir, command)
					if want := tc.want(tc.u); !slices.Equal(argv, want) {
						t.Errorf("the proxy got %q, want %q\ncommand: %s", argv, want, command)
					}
					if _, err := os.Stat(mark); err == nil {
						t.Errorf("the injected command ran: %s exists\ncommand: %s", mark, command)
					}
				})
			}
		})
	}
}

// TestSSHRejectsMisreadHostsAndUsers: names ssh would take for an option
// or split are refused, with the URI (redacted) and the fix.
func TestSSHRejectsMisreadHostsAndUsers(t *testing.T) {
	for _, tc := range []struct{ uri, want string }{
		{"qemu+ssh://-oProxyCommand=touch/system", "starts with '-'"},
		{"qemu+ssh://root@/system", "has no host name"},
		{"qemu+ssh:///system", "has no host name"},
		{"qemu+ssh://-l@host/system", "user name \"-l\" starts with '-'"},
		{"qemu+ssh://ro%20ot@host/system", "whitespace or control"},
		{"qemu+ssh://ro%0Aot@host/system", "whitespace or control"},
		{"qemu+ssh://root@host/system?socket=/x%00y", "NUL"},
		{"qemu+ssh://root@host/system?proxy=bogus", "proxy="},
		{"qemu+ssh://root:hunter2@host/system", "takes no password"},
	} {
		t.Run(tc.uri, func(t *testing.T) {
			_, _, err := libvirtDialer(tc.uri)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "libvirt URI") {
				t.Fatalf("%s: error %v, want one that says %q", tc.uri, err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Fatalf("password in %v", err)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":      "''",
		"plain": "'plain'",
		"it's":  `'it'\''s'`,
		"'":     `''\'''`,
		"a\nb":  "'a\nb'",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
