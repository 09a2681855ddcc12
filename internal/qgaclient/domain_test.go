package qgaclient_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
	"github.com/qgatools/terraform-provider-qga/internal/testbed"
)

// TestLookupDomain: a domain named by its name and by its UUID (in either
// case) is one domain; a missing one is ErrDomainNotFound.
func TestLookupDomain(t *testing.T) {
	env := testbed.Require(t)
	out, err := exec.Command("virsh", "-q", "-c", env.URI, "domuuid", env.Domain).Output()
	if err != nil {
		t.Fatalf("virsh domuuid %s: %v", env.Domain, err)
	}
	uuid := strings.TrimSpace(string(out))
	pool := qgaclient.NewPool()
	defer pool.Close()
	for _, name := range []string{env.Domain, uuid, strings.ToUpper(uuid)} {
		d, err := pool.LookupDomain(ctx(t), env.URI, name)
		if err != nil || d.Name != env.Domain || d.UUID != uuid {
			t.Errorf("LookupDomain(%q) = %+v, %v; want %s, %s", name, d, err, env.Domain, uuid)
		}
	}
	_, err = pool.LookupDomain(ctx(t), env.URI, "qga-no-such-domain")
	if !errors.Is(err, qgaclient.ErrDomainNotFound) || !strings.Contains(err.Error(), "qga-no-such-domain") {
		t.Errorf("missing domain: %v", err)
	}
}
