// Package qgatest is a fake QEMU guest agent for tests, like go-libvirt's
// libvirttest: it listens on a unix socket as QEMU's agent chardev does and
// speaks qemu-ga's wire protocol (JSON commands; a 0xFF byte from the client
// makes it drop what it had read; guest-sync-delimited answers after a 0xFF
// of its own), so clients are tested through their real socket transport.
// Behind it is a small guest whose state a test sets and reads: users and
// their authorized keys and passwords, files, what commands print and
// return, OS information, network interfaces, and commands that are
// disabled, missing or failing. It serves one client at a time, like QEMU.
//
// It does not import qgaclient, so qgaclient's own tests can use it.
package qgatest

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// Error is an agent error reply: {"error": {"class": ..., "desc": ...}}.
type Error struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

func (e *Error) Error() string { return e.Class + ": " + e.Desc }

// GenericError is the error qemu-ga gives for most failures.
func GenericError(desc string) *Error { return &Error{Class: "GenericError", Desc: desc} }

// Handler answers one command: a value for "return", or an error.
type Handler func(args json.RawMessage) (any, *Error)

// Version is what guest-info reports as the agent's version.
const Version = "7.2.0-fake"

// Agent is the fake agent and its guest. Its methods are safe to call from
// tests while a client talks to it, and from handlers and exec functions.
type Agent struct {
	socket string
	ln     net.Listener

	mu          sync.Mutex
	guest       guest
	handlers    map[string]Handler // replace the built-in commands
	disabled    map[string]bool    // listed as disabled; answered "has been disabled"
	missing     map[string]bool    // not listed; answered "has not been found"
	failures    map[string]*Error  // answered with this error
	calls       map[string]int
	staleOutput []byte // written to each new client before anything else
	silent      bool   // read commands but never answer (a hung agent)
	notYetUp    int    // this many more clients are hung up on at once (an agent not started yet)
}

// New starts a fake agent on a socket in t's temporary directory; it stops
// when the test ends.
func New(t testing.TB) *Agent {
	t.Helper()
	dir, err := os.MkdirTemp("", "qgatest") // t.TempDir can exceed the 108-byte socket path limit
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "qga.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{
		socket: path, ln: ln, guest: newGuest(),
		handlers: map[string]Handler{}, disabled: map[string]bool{}, missing: map[string]bool{},
		failures: map[string]*Error{}, calls: map[string]int{},
	}
	t.Cleanup(func() {
		_ = ln.Close()
		_ = os.RemoveAll(dir)
	})
	go a.serve()
	return a
}

// Socket is the path to give a client as its agent socket.
func (a *Agent) Socket() string { return a.socket }

// Handle makes command answer with h instead of its built-in behaviour (or
// adds a command the fake does not know); guest-info lists it.
func (a *Agent) Handle(command string, h Handler) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.handlers[command] = h
}

// Disable makes the commands disabled, as qemu-ga's --block-rpcs does:
// guest-info lists them as not enabled and calling them fails.
func (a *Agent) Disable(commands ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range commands {
		a.disabled[c] = true
	}
}

// Remove makes the commands unknown, as an older qemu-ga: guest-info does
// not list them and calling them fails with CommandNotFound.
func (a *Agent) Remove(commands ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, c := range commands {
		a.missing[c] = true
	}
}

// Fail makes every call of command answer err (nil: answer normally again).
func (a *Agent) Fail(command string, err *Error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if err == nil {
		delete(a.failures, command)
		return
	}
	a.failures[command] = err
}

// Misbehave sets output each new client finds waiting on the channel (what
// an earlier client left unread), and whether the agent answers at all.
func (a *Agent) Misbehave(staleOutput []byte, silent bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.staleOutput, a.silent = staleOutput, silent
}

// NotConnectedFor makes the next n clients find no agent: each connection
// is closed after its first command (the client's sync handshake) without
// an answer, so the client sees the agent as not connected, as a guest
// that is still booting leaves it, until n connections have been turned
// away. A client's retry connects anew.
func (a *Agent) NotConnectedFor(n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notYetUp = n
}

// Calls says how many times command was called (guest-sync-delimited
// included).
func (a *Agent) Calls(command string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[command]
}

func (a *Agent) serve() {
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.session(conn) // one client at a time, like QEMU's chardev socket
	}
}

func (a *Agent) session(conn net.Conn) {
	defer conn.Close()
	a.mu.Lock()
	stale, silent, notYetUp := a.staleOutput, a.silent, a.notYetUp > 0
	if notYetUp {
		a.notYetUp--
	}
	a.mu.Unlock()
	r := bufio.NewReader(conn)
	if notYetUp {
		// Read the handshake first: closing with unread data would reset the
		// connection, which the client rightly takes for a broken socket.
		_, _ = readCommand(r)
		return
	}
	if len(stale) > 0 {
		_, _ = conn.Write(stale)
	}
	for {
		frame, err := readCommand(r)
		if err != nil {
			return
		}
		if silent {
			continue
		}
		if _, err := conn.Write(a.answer(frame)); err != nil {
			return
		}
	}
}

// answer is the reply to one command, with its framing.
func (a *Agent) answer(frame []byte) []byte {
	var req struct {
		Execute   string          `json:"execute"`
		Arguments json.RawMessage `json:"arguments"`
	}
	if err := json.Unmarshal(frame, &req); err != nil || req.Execute == "" {
		return reply(nil, GenericError("JSON parse error, invalid command"))
	}
	a.mu.Lock()
	a.calls[req.Execute]++
	a.mu.Unlock()
	switch req.Execute {
	case "guest-sync-delimited", "guest-sync":
		var args struct {
			ID int64 `json:"id"`
		}
		_ = json.Unmarshal(req.Arguments, &args)
		out := reply(args.ID, nil)
		if req.Execute == "guest-sync-delimited" {
			out = append([]byte{0xFF}, out...)
		}
		return out
	}
	ret, err := a.run(req.Execute, req.Arguments)
	return reply(ret, err)
}

// run dispatches a command: a failure or a state set by the test first,
// then a test's handler, then the built-in guest. Handlers run without the
// agent's lock, so they may call its methods.
func (a *Agent) run(command string, args json.RawMessage) (any, *Error) {
	a.mu.Lock()
	h := a.handlers[command]
	missing, disabled, failure := a.missing[command], a.disabled[command], a.failures[command]
	a.mu.Unlock()
	switch {
	case missing || (h == nil && !builtin(command)):
		return nil, &Error{Class: "CommandNotFound", Desc: "The command " + command + " has not been found"}
	case disabled:
		return nil, &Error{Class: "CommandNotFound", Desc: "The command " + command + " has been disabled for this instance"}
	case failure != nil:
		return nil, failure
	case h != nil:
		return h(args)
	}
	return a.builtin(command, args)
}

func reply(ret any, err *Error) []byte {
	var out []byte
	if err != nil {
		out, _ = json.Marshal(map[string]any{"error": err})
	} else {
		out, _ = json.Marshal(map[string]any{"return": ret})
	}
	return append(out, '\n')
}

// readCommand reads one JSON object from the client. A 0xFF byte drops
// what was read of the current one, as qemu-ga's parser reset does; bytes
// between objects are skipped.
func readCommand(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	depth, inString, escaped := 0, false, false
	for {
		b, err := r.ReadByte()
		if err != nil {
			if err == io.EOF && len(buf) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if b == 0xFF {
			buf, depth, inString, escaped = nil, 0, false, false
			continue
		}
		if depth == 0 && b != '{' {
			continue
		}
		buf = append(buf, b)
		switch {
		case escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case b == '"':
			inString = !inString
		case inString:
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
			if depth == 0 {
				return buf, nil
			}
		}
	}
}
