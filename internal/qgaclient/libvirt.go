package qgaclient

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/digitalocean/go-libvirt"
)

// libvirtTransport reaches a domain's agent through libvirtd: the raw
// passthrough (virsh qemu-agent-command) for most commands, libvirt's typed
// APIs where they exist.
type libvirtTransport struct {
	conn   *libvirtConn
	domain string // name or UUID as the user gave it

	mu  sync.Mutex
	dom *libvirt.Domain // looked up once; libvirt resolves it by UUID
}

// checkLibvirtURI fails for a URI that cannot work, naming the problem,
// without dialing.
func checkLibvirtURI(uri string) error {
	if i := strings.Index(uri, "://"); i <= 0 {
		return fmt.Errorf("invalid libvirt URI %s: expected e.g. qemu:///system or qemu+ssh://user@host/system", strconv.Quote(RedactURI(uri)))
	}
	_, _, err := libvirtDialer(uri)
	return err
}

func (t *libvirtTransport) Target() string { return "domain " + strconv.Quote(t.domain) }

func (t *libvirtTransport) Close() error { return nil }

// guestKey adds the URI: two hypervisors may have domains of one name.
func (t *libvirtTransport) guestKey() string { return t.conn.uri + " " + t.Target() }

// Chunk sizes through libvirt, measured on the test bed (docs/BENCHMARKS.md).
//
// A write's whole command must fit into the send buffer of libvirtd's socket
// to QEMU's agent chardev (net.core.wmem_default: 212992 bytes, which holds
// two 106 KB socket buffers, about 212.7 KB of command): libvirt (9.0 here)
// writes agent commands with safewrite() on a non-blocking socket; when a
// write is partial and the next one gets EAGAIN, safewrite reports failure,
// libvirt forgets the bytes already sent and sends them again. The agent
// then sees a corrupted command and answers with a JSON error, or swallows
// the commands that follow into an unterminated string until libvirt times
// out ("Guest agent not available for now"). On the test bed 164 KiB chunks
// (a 218,533-byte command) passed and 165 KiB failed. Upload speed is flat
// from 128 to 160 KiB (the guest's parsing dominates): 128 KiB (a
// 174,8xx-byte command) keeps an 18% margin. Replies take another path
// (libvirt reads them in a loop) and are bounded by libvirt's 4 MiB RPC
// strings instead, so reads can be large.
const (
	libvirtWriteChunk = 128 << 10
	libvirtReadChunk  = 2 << 20
)

func (t *libvirtTransport) fileChunks() (read, write int) { return libvirtReadChunk, libvirtWriteChunk }

// connect makes sure the connection to libvirt is up (see connector).
func (t *libvirtTransport) connect(ctx context.Context) error {
	_, err := t.conn.get(ctx)
	return err
}

// lookup returns the libvirt handle and the domain.
func (t *libvirtTransport) lookup(ctx context.Context) (*libvirt.Libvirt, libvirt.Domain, error) {
	l, err := t.conn.get(ctx)
	if err != nil {
		return nil, libvirt.Domain{}, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dom != nil {
		return l, *t.dom, nil
	}
	dom, err := runBounded(ctx, func() (libvirt.Domain, error) {
		if uuid, ok := parseUUID(t.domain); ok {
			if d, err := l.DomainLookupByUUID(uuid); err == nil {
				return d, nil
			}
		}
		return l.DomainLookupByName(t.domain)
	})
	if err != nil {
		return nil, libvirt.Domain{}, t.mapError("", err)
	}
	t.dom = &dom
	return l, dom, nil
}

func parseUUID(s string) (libvirt.UUID, bool) {
	var u libvirt.UUID
	b, err := hex.DecodeString(strings.ReplaceAll(s, "-", ""))
	if err != nil || len(b) != len(u) || len(s) != 36 {
		return u, false
	}
	copy(u[:], b)
	return u, true
}

// agentTimeout converts ctx's deadline into libvirt's agent timeout (whole
// seconds, at least 1), so libvirt gives up no later than we do.
func agentTimeout(ctx context.Context) int32 {
	d, ok := ctx.Deadline()
	if !ok {
		return 30
	}
	return int32(max(1, min(math.Ceil(time.Until(d).Seconds()), math.MaxInt32)))
}

func (t *libvirtTransport) Run(ctx context.Context, command string, args any) (json.RawMessage, error) {
	req, err := json.Marshal(request{Execute: command, Arguments: args})
	if err != nil {
		return nil, fmt.Errorf("encoding %s: %w", command, err)
	}
	var out libvirt.OptString
	err = t.do(ctx, command, func(l *libvirt.Libvirt, dom libvirt.Domain) error {
		var err error
		out, err = l.QEMUDomainAgentCommand(dom, string(req), agentTimeout(ctx), 0)
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, newError(t.Target(), command, ErrAgentFailed, errors.New("libvirt returned no reply"))
	}
	raw, err := decodeReply([]byte(out[0]))
	if err != nil {
		var ae *AgentError
		if errors.As(err, &ae) {
			return nil, classifyAgentError(t.Target(), command, ae)
		}
		return nil, newError(t.Target(), command, ErrAgentFailed, err)
	}
	return raw, nil
}

// do runs one libvirt call for the domain, bounded by ctx, and maps its
// error. A call that fails because the connection dropped (libvirtd
// restarted) is retried once on a new connection when it was read-only.
func (t *libvirtTransport) do(ctx context.Context, command string, f func(*libvirt.Libvirt, libvirt.Domain) error) error {
	for attempt := 0; ; attempt++ {
		l, dom, err := t.lookup(ctx)
		if err != nil {
			return withCommand(err, command)
		}
		_, err = runBounded(ctx, func() (struct{}, error) { return struct{}{}, f(l, dom) })
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return newError(t.Target(), command, ErrTimeout, ctx.Err())
		}
		if !l.IsConnected() && attempt == 0 && readOnlyCommands[command] {
			continue
		}
		return t.mapError(command, err)
	}
}

// readOnlyCommands are safe to send twice when the first answer was lost.
var readOnlyCommands = map[string]bool{
	"guest-ping": true, "guest-info": true, "guest-get-osinfo": true, "guest-get-host-name": true,
	"guest-get-timezone": true, "guest-get-users": true, "guest-network-get-interfaces": true,
	"guest-ssh-get-authorized-keys": true, "guest-get-time": true,
}

func withCommand(err error, command string) error {
	var e *Error
	if errors.As(err, &e) && e.Command == "" {
		e.Command = command
		if e.Hint == "" {
			e.Hint = hintFor(e.Kind, command)
		}
	}
	return err
}

// agentFailure matches libvirt's wrapping of an agent error reply.
var agentFailure = regexp.MustCompile(`unable to execute QEMU agent command '[^']*': (.*)$`)

// mapError turns a libvirt error into an *Error of the right kind.
func (t *libvirtTransport) mapError(command string, err error) error {
	var le libvirt.Error
	if !errors.As(err, &le) {
		return newError(t.Target(), command, ErrConnection, err)
	}
	msg := le.Message
	kind := ErrAgentFailed
	switch libvirt.ErrorNumber(le.Code) {
	case libvirt.ErrNoDomain:
		kind = ErrDomainNotFound
	case libvirt.ErrOperationInvalid:
		if strings.Contains(msg, "not running") {
			kind = ErrDomainNotRunning
		}
	case libvirt.ErrArgumentUnsupported:
		if strings.Contains(msg, "agent is not configured") {
			kind = ErrAgentNotConfigured
		}
	case libvirt.ErrAgentUnresponsive, libvirt.ErrAgentUnsynced:
		kind = ErrAgentUnavailable
	case libvirt.ErrAgentCommandTimeout, libvirt.ErrOperationTimeout:
		kind = ErrTimeout
	}
	if strings.Contains(msg, "No complete agent response") {
		// libvirt caps an agent reply at 10 MiB; a larger one (an exec whose
		// output is over ~7 MiB once base64-encoded) makes libvirt drop the
		// agent until it reconnects.
		e := newError(t.Target(), command, ErrAgentUnavailable, fmt.Errorf("libvirt: %s", msg))
		e.Hint = "the agent's reply was larger than libvirt's 10 MiB limit (a command's stdout+stderr over about 7 MiB); " +
			"libvirt now refuses this domain's agent, and the agent in the guest is stuck writing the rest of its reply, " +
			"until qemu-guest-agent is killed (SIGKILL) in the guest or libvirtd restarts. " +
			"Send large output to a file in the guest, or use the direct agent socket"
		return e
	}
	if strings.Contains(msg, "Unable to encode message payload") {
		// libvirt's RPC messages are limited too: a reply of a few MB (about
		// 3 MB of command output) cannot be passed to the client.
		e := newError(t.Target(), command, ErrAgentFailed, fmt.Errorf("libvirt: %s", msg))
		e.Hint = "the agent's reply was too large for a libvirt RPC message (a command's output over about 3 MB); " +
			"send large output to a file in the guest, or use the direct agent socket"
		return e
	}
	if errors.Is(kind, ErrAgentFailed) {
		if m := agentFailure.FindStringSubmatch(msg); m != nil {
			return classifyAgentError(t.Target(), command, &AgentError{Desc: m[1]})
		}
	}
	return newError(t.Target(), command, kind, fmt.Errorf("libvirt: %s", msg))
}
