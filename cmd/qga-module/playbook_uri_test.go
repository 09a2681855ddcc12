package main

import (
	"strings"
	"testing"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// TestPlaybookHidesURIPassword runs ansible-playbook -vvv with a password in
// the libvirt URI that a real sshd refuses: the tasks fail at once, as
// connection failures, and the password is nowhere in Ansible's output.
func TestPlaybookHidesURIPassword(t *testing.T) {
	env := testbed.Require(t)
	remote := testbed.RequireRemote(t)
	requireAnsible(t)
	collections := buildCollection(t)

	password := "qga-uri-pw-" + randomHex(t, 8)
	hostPort := strings.Split(strings.Split(remote.LibSSH, "@")[1], "/")[0]
	uri := "qemu+libssh://root:" + password + "@" + hostPort + "/system?known_hosts_verify=ignore&sshauth=password"
	run := runPlaybook(t, collections, "uri_password.yml", map[string]any{
		"qga_domain":     env.Domain,
		"secret_uri":     uri,
		"secret_ssh_uri": "qemu+ssh://root:" + password + "@" + hostPort + "/system",
	})
	r := run.recap(t, "hypervisor")
	if run.ExitCode != 0 || r.Failed != 0 || r.Ignored != 2 {
		t.Fatalf("uri_password.yml: exit %d, %+v, want the 2 failing tasks ignored:\n%s", run.ExitCode, r, tail(run.Output, 80))
	}
	if i := strings.Index(run.Output, password); i >= 0 {
		t.Errorf("the URI's password appears in the ansible-playbook -vvv output: ...%s...", run.Output[max(0, i-300):min(len(run.Output), i+100)])
	}
	// Ansible shows the invocation (not kept in a registered result) at -vvv.
	if want := `"uri": "` + qgaclient.RedactURI(uri) + `"`; !strings.Contains(run.Output, want) {
		t.Errorf("no %s in the -vvv output", want)
	}
	// Two failures that cannot heal, with agent_timeout at 120 s.
	if run.Took > 90*time.Second {
		t.Errorf("the playbook took %s", run.Took.Round(time.Second))
	}
}
