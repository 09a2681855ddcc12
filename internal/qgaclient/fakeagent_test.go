package qgaclient

import (
	"bufio"
	"encoding/json"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeAgent is an in-process stand-in for qemu-ga on a unix socket, for unit
// tests of framing, resync and errors. It serves one client at a time, like
// QEMU's chardev socket. Real behaviour is proven against the real VM in
// the integration tests.
type fakeAgent struct {
	path string
	ln   net.Listener

	mu       sync.Mutex
	handlers map[string]fakeHandler
	onAccept []byte // written to each new client before anything else (stale output)
	calls    map[string]int
	silent   bool // read commands but never answer (a hung or absent agent)
}

type fakeHandler func(args json.RawMessage) (any, *AgentError)

func newFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	path := filepath.Join(t.TempDir(), "qga.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	a := &fakeAgent{path: path, ln: ln, handlers: map[string]fakeHandler{}, calls: map[string]int{}}
	a.handle("guest-ping", func(json.RawMessage) (any, *AgentError) { return map[string]any{}, nil })
	a.handle("guest-info", func(json.RawMessage) (any, *AgentError) {
		a.mu.Lock()
		defer a.mu.Unlock()
		info := AgentInfo{Version: "7.2.0-fake"}
		for name := range a.handlers {
			info.Commands = append(info.Commands, CommandInfo{Name: name, Enabled: true, SuccessResponse: true})
		}
		return info, nil
	})
	t.Cleanup(func() { ln.Close() })
	go a.serve()
	return a
}

func (a *fakeAgent) handle(name string, h fakeHandler) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.handlers[name] = h
}

// misbehave sets stale output for new clients and whether the agent answers.
func (a *fakeAgent) misbehave(onAccept []byte, silent bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onAccept, a.silent = onAccept, silent
}

func (a *fakeAgent) callCount(name string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[name]
}

func (a *fakeAgent) serve() {
	for {
		conn, err := a.ln.Accept()
		if err != nil {
			return
		}
		a.session(conn) // one client at a time
	}
}

func (a *fakeAgent) session(conn net.Conn) {
	defer conn.Close()
	a.mu.Lock()
	pre, silent := a.onAccept, a.silent
	a.mu.Unlock()
	if len(pre) > 0 {
		conn.Write(pre)
	}
	var wmu sync.Mutex
	write := func(b []byte) {
		wmu.Lock()
		defer wmu.Unlock()
		conn.Write(b)
	}
	frames := newFrameReader(bufio.NewReader(conn))
	for {
		frame, err := frames.next()
		if err != nil {
			return
		}
		if silent {
			continue
		}
		var req struct {
			Execute   string          `json:"execute"`
			Arguments json.RawMessage `json:"arguments"`
		}
		if err := json.Unmarshal(frame, &req); err != nil {
			write([]byte(`{"error":{"class":"GenericError","desc":"JSON parse error"}}` + "\n"))
			continue
		}
		a.mu.Lock()
		a.calls[req.Execute]++
		h := a.handlers[req.Execute]
		a.mu.Unlock()
		if req.Execute == "guest-sync-delimited" || req.Execute == "guest-sync" {
			var args struct {
				ID int64 `json:"id"`
			}
			json.Unmarshal(req.Arguments, &args)
			out, _ := json.Marshal(map[string]any{"return": args.ID})
			if req.Execute == "guest-sync-delimited" {
				out = append([]byte{sentinel}, out...)
			}
			write(append(out, '\n'))
			continue
		}
		if h == nil {
			write([]byte(`{"error":{"class":"CommandNotFound","desc":"The command ` + req.Execute + ` has not been found"}}` + "\n"))
			continue
		}
		// Handlers run in order, like qemu-ga's single main loop.
		ret, aerr := h(req.Arguments)
		var out []byte
		if aerr != nil {
			out, _ = json.Marshal(map[string]any{"error": aerr})
		} else {
			out, _ = json.Marshal(map[string]any{"return": ret})
		}
		write(append(out, '\n'))
	}
}

// sleepHandler answers after d, to provoke client-side timeouts.
func sleepHandler(d time.Duration, ret any) fakeHandler {
	return func(json.RawMessage) (any, *AgentError) {
		time.Sleep(d)
		return ret, nil
	}
}
