package qgaclient

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"
)

func TestPollPolicy(t *testing.T) {
	p := DefaultExecPoll
	for _, c := range []struct{ elapsed, want time.Duration }{
		{0, 200 * time.Microsecond},
		{time.Millisecond, 200 * time.Microsecond},
		{100 * time.Millisecond, 5 * time.Millisecond},
		{time.Minute, time.Second},
	} {
		if got := p.Next(c.elapsed); got != c.want {
			t.Errorf("Next(%s) = %s, want %s", c.elapsed, got, c.want)
		}
	}
}

func TestLibvirtErrorsAreTyped(t *testing.T) {
	tr := &libvirtTransport{domain: "web1"}
	for _, c := range []struct {
		code uint32
		msg  string
		kind error
	}{
		{uint32(libvirt.ErrNoDomain), "Domain not found: no domain with matching name 'web1'", ErrDomainNotFound},
		{uint32(libvirt.ErrOperationInvalid), "Requested operation is not valid: domain is not running", ErrDomainNotRunning},
		{uint32(libvirt.ErrArgumentUnsupported), "argument unsupported: QEMU guest agent is not configured", ErrAgentNotConfigured},
		{uint32(libvirt.ErrAgentUnresponsive), "Guest agent is not responding: QEMU guest agent is not connected", ErrAgentUnavailable},
		{uint32(libvirt.ErrAgentCommandTimeout), "Guest agent command timed out", ErrTimeout},
		{uint32(libvirt.ErrInternalError), "internal error: unable to execute QEMU agent command 'guest-exec': The command guest-exec has been disabled for this instance", ErrCommandDisabled},
		{uint32(libvirt.ErrInternalError), "internal error: unable to execute QEMU agent command 'guest-foo': The command guest-foo has not been found", ErrCommandUnsupported},
		{uint32(libvirt.ErrAgentCommandFailed), "unable to execute QEMU agent command 'guest-file-open': failed to open file '/x': No such file or directory", ErrAgentFailed},
	} {
		err := tr.mapError("guest-exec", libvirt.Error{Code: c.code, Message: c.msg})
		if !errors.Is(err, c.kind) {
			t.Errorf("%q: got %v, want kind %v", c.msg, err, c.kind)
		}
		if !strings.HasPrefix(err.Error(), `domain "web1": guest-exec`) {
			t.Errorf("error does not start with the domain and command: %v", err)
		}
	}
}

func TestGuestInfoFromParams(t *testing.T) {
	p := func(f string, v any) libvirt.TypedParam {
		return libvirt.TypedParam{Field: f, Value: libvirt.TypedParamValue{I: v}}
	}
	gi := guestInfoFromParams([]libvirt.TypedParam{
		p("os.id", "debian"), p("os.pretty-name", "Debian GNU/Linux 12 (bookworm)"), p("hostname", "h1"),
		p("timezone.name", "CET"), p("timezone.offset", int32(3600)),
		p("user.count", uint32(2)), p("user.1.name", "bob"), p("user.0.name", "alice"), p("user.0.login-time", uint64(1500)),
	})
	if gi.OS.ID != "debian" || gi.Hostname != "h1" || gi.Timezone.Offset != 3600 || gi.Timezone.Zone != "CET" {
		t.Fatalf("%+v", gi)
	}
	if len(gi.Users) != 2 || gi.Users[0].Name != "alice" || gi.Users[0].LoginTime != 1.5 || gi.Users[1].Name != "bob" {
		t.Fatalf("users %+v", gi.Users)
	}
}

func TestOpenValidatesTarget(t *testing.T) {
	if _, err := Open(Target{Domain: "a", AgentSocket: "/s"}, Options{}); err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Fatalf("err = %v", err)
	}
	if _, err := Open(Target{}, Options{}); err == nil {
		t.Fatal("want an error for no target")
	}
	if _, err := Open(Target{URI: "not a uri", Domain: "x"}, Options{}); err == nil || !strings.Contains(err.Error(), "qemu:///system") {
		t.Fatalf("err = %v", err)
	}
}
