package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"path/filepath"
	"slices"
	"sync"
	"testing"
)

// fakeAgent stands in for qemu-ga on a unix socket, so that the modules can
// be tested end to end (arguments file in, JSON out) through qgaclient's
// direct-socket transport, without a VM. It keeps a little guest state:
// authorized keys, /etc/shadow, and a handler for guest-exec. The real
// agent is exercised by playbook_test.go against the test bed VM.
type fakeAgent struct {
	socket string

	mu       sync.Mutex
	keys     map[string][]string // user -> authorized keys; absent user: no such user
	shadow   string              // contents of /etc/shadow
	disabled map[string]bool     // commands reported as disabled
	calls    map[string]int
	exec     func(path string, args []string, env []string, stdin []byte) fakeExit
	ifaces   []map[string]any // guest-network-get-interfaces' answer, when set
	files    map[int64][]byte // open file handles
	procs    map[int]fakeExit // started processes
	nextID   int
}

// fakeExit is how a fake command ends; Running keeps it running forever.
type fakeExit struct {
	Code           int
	Signal         int // killed by this signal
	Stdout, Stderr string
	Running        bool
}

func newFakeAgent(t *testing.T) *fakeAgent {
	t.Helper()
	a := &fakeAgent{
		socket:   filepath.Join(t.TempDir(), "qga.sock"),
		keys:     map[string][]string{},
		disabled: map[string]bool{},
		calls:    map[string]int{},
		files:    map[int64][]byte{},
		procs:    map[int]fakeExit{},
		nextID:   100,
		exec:     func(string, []string, []string, []byte) fakeExit { return fakeExit{} },
	}
	ln, err := net.Listen("unix", a.socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			a.serve(conn) // one client at a time, like QEMU's chardev
		}
	}()
	return a
}

func (a *fakeAgent) callCount(command string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.calls[command]
}

func (a *fakeAgent) userKeys(user string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.keys[user])
}

// skipDelimiter drops the 0xFF bytes the client sends before
// guest-sync-delimited, so the rest parses as a JSON stream.
type skipDelimiter struct{ r io.Reader }

func (s skipDelimiter) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		kept := 0
		for _, b := range p[:n] {
			if b != 0xFF {
				p[kept] = b
				kept++
			}
		}
		if kept > 0 || err != nil {
			return kept, err
		}
	}
}

type fakeAgentError struct {
	Class string `json:"class"`
	Desc  string `json:"desc"`
}

func (a *fakeAgent) serve(conn net.Conn) {
	defer conn.Close()
	dec := json.NewDecoder(skipDelimiter{bufio.NewReader(conn)})
	for {
		var req struct {
			Execute   string          `json:"execute"`
			Arguments json.RawMessage `json:"arguments"`
		}
		if err := dec.Decode(&req); err != nil {
			return
		}
		if req.Execute == "guest-sync-delimited" {
			var args struct {
				ID int64 `json:"id"`
			}
			_ = json.Unmarshal(req.Arguments, &args)
			out, _ := json.Marshal(map[string]any{"return": args.ID})
			_, _ = conn.Write(append(append([]byte{0xFF}, out...), '\n'))
			continue
		}
		ret, aerr := a.handle(req.Execute, req.Arguments)
		var out []byte
		if aerr != nil {
			out, _ = json.Marshal(map[string]any{"error": aerr})
		} else {
			out, _ = json.Marshal(map[string]any{"return": ret})
		}
		_, _ = conn.Write(append(out, '\n'))
	}
}

var fakeCommands = []string{
	"guest-ping", "guest-info", "guest-get-osinfo", "guest-get-host-name", "guest-get-timezone",
	"guest-network-get-interfaces", "guest-ssh-get-authorized-keys", "guest-ssh-add-authorized-keys",
	"guest-ssh-remove-authorized-keys", "guest-set-user-password", "guest-file-open", "guest-file-read",
	"guest-file-close", "guest-exec", "guest-exec-status",
}

func (a *fakeAgent) handle(command string, raw json.RawMessage) (any, *fakeAgentError) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls[command]++
	if a.disabled[command] {
		return nil, &fakeAgentError{"CommandNotFound", "Command " + command + " has been disabled"}
	}
	var args struct {
		Username string   `json:"username"`
		Keys     []string `json:"keys"`
		Reset    bool     `json:"reset"`
		Path     string   `json:"path"`
		Handle   int64    `json:"handle"`
		PID      int      `json:"pid"`
		Arg      []string `json:"arg"`
		Env      []string `json:"env"`
		Input    []byte   `json:"input-data"`
	}
	_ = json.Unmarshal(raw, &args)
	noUser := &fakeAgentError{"GenericError", "failed to lookup user '" + args.Username + "'"}
	switch command {
	case "guest-ping":
		return map[string]any{}, nil
	case "guest-info":
		var cmds []map[string]any
		for _, name := range fakeCommands {
			cmds = append(cmds, map[string]any{"name": name, "enabled": !a.disabled[name], "success-response": true})
		}
		return map[string]any{"version": "7.2.0-fake", "supported_commands": cmds}, nil
	case "guest-get-osinfo":
		return map[string]any{"id": "debian", "pretty-name": "Debian GNU/Linux 12 (bookworm)", "version-id": "12", "kernel-release": "6.1.0", "machine": "x86_64"}, nil
	case "guest-get-host-name":
		return map[string]any{"host-name": "fakeguest"}, nil
	case "guest-get-timezone":
		return map[string]any{"zone": "UTC", "offset": 0}, nil
	case "guest-network-get-interfaces":
		if a.ifaces != nil {
			return a.ifaces, nil
		}
		return []map[string]any{
			{"name": "lo", "ip-addresses": []map[string]any{{"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8}}},
			{"name": "eth0", "hardware-address": "52:54:00:00:00:01", "ip-addresses": []map[string]any{
				{"ip-address": "192.0.2.10", "ip-address-type": "ipv4", "prefix": 24},
				{"ip-address": "fe80::1", "ip-address-type": "ipv6", "prefix": 64},
				{"ip-address": "2001:db8::10", "ip-address-type": "ipv6", "prefix": 64},
			}},
		}, nil
	case "guest-ssh-get-authorized-keys":
		keys, ok := a.keys[args.Username]
		if !ok {
			return nil, noUser
		}
		if keys == nil {
			return nil, &fakeAgentError{"GenericError", "failed to read '/home/x/.ssh/authorized_keys': No such file or directory"}
		}
		// Like qemu-ga 7.2, which lists the file's keys last line first.
		reversed := slices.Clone(keys)
		slices.Reverse(reversed)
		return map[string]any{"keys": reversed}, nil
	case "guest-ssh-add-authorized-keys":
		keys, ok := a.keys[args.Username]
		if !ok {
			return nil, noUser
		}
		if args.Reset {
			keys = []string{}
		}
		for _, k := range args.Keys {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
		a.keys[args.Username] = append([]string{}, keys...)
		return map[string]any{}, nil
	case "guest-ssh-remove-authorized-keys":
		keys, ok := a.keys[args.Username]
		if !ok {
			return nil, noUser
		}
		a.keys[args.Username] = append([]string{}, slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(args.Keys, k) })...)
		return map[string]any{}, nil
	case "guest-set-user-password":
		return map[string]any{}, nil
	case "guest-file-open":
		if args.Path != shadowPath {
			return nil, &fakeAgentError{"GenericError", "failed to open file '" + args.Path + "': No such file or directory"}
		}
		a.nextID++
		a.files[int64(a.nextID)] = []byte(a.shadow)
		return a.nextID, nil
	case "guest-file-read":
		data := a.files[args.Handle]
		delete(a.files, args.Handle)
		return map[string]any{"count": len(data), "buf-b64": base64.StdEncoding.EncodeToString(data), "eof": true}, nil
	case "guest-file-close":
		return map[string]any{}, nil
	case "guest-exec":
		a.nextID++
		a.procs[a.nextID] = a.exec(args.Path, args.Arg, args.Env, args.Input)
		return map[string]any{"pid": a.nextID}, nil
	case "guest-exec-status":
		p, ok := a.procs[args.PID]
		if !ok {
			return nil, &fakeAgentError{"GenericError", "Invalid parameter 'pid'"}
		}
		if p.Running {
			return map[string]any{"exited": false}, nil
		}
		delete(a.procs, args.PID)
		status := map[string]any{"exited": true, "exitcode": p.Code,
			"out-data": base64.StdEncoding.EncodeToString([]byte(p.Stdout)),
			"err-data": base64.StdEncoding.EncodeToString([]byte(p.Stderr))}
		if p.Signal != 0 {
			status["signal"] = p.Signal
			delete(status, "exitcode")
		}
		return status, nil
	}
	return nil, &fakeAgentError{"CommandNotFound", "The command " + command + " has not been found"}
}
