package qgatest

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// The fake guest: what the built-in commands read and change.

// user is a guest account.
type user struct {
	keys     []string // authorized_keys, in file order
	keysFile bool     // ~/.ssh/authorized_keys exists
	password string   // the last password set, as sent
	crypted  bool
}

// OSInfo is what guest-get-osinfo returns, in qemu-ga's wire form (the
// same fields as qgaclient.OSInfo, which this package cannot import: its
// tests use this one).
type OSInfo struct {
	ID            string `json:"id,omitempty"`
	Name          string `json:"name,omitempty"`
	PrettyName    string `json:"pretty-name,omitempty"`
	Version       string `json:"version,omitempty"`
	VersionID     string `json:"version-id,omitempty"`
	Variant       string `json:"variant,omitempty"`
	VariantID     string `json:"variant-id,omitempty"`
	KernelRelease string `json:"kernel-release,omitempty"`
	KernelVersion string `json:"kernel-version,omitempty"`
	Machine       string `json:"machine,omitempty"`
}

// Interface is one entry of guest-network-get-interfaces.
type Interface struct {
	Name            string    `json:"name"`
	HardwareAddress string    `json:"hardware-address,omitempty"`
	Addresses       []Address `json:"ip-addresses,omitempty"`
}

// Address is an interface's IP address; Type is "ipv4" or "ipv6".
type Address struct {
	IP     string `json:"ip-address"`
	Type   string `json:"ip-address-type"`
	Prefix int    `json:"prefix"`
}

// Exec is a command the guest was asked to run.
type Exec struct {
	Path    string
	Args    []string
	Env     []string
	Input   []byte
	Capture bool // capture-output: the result's output is returned
}

// ExecResult is how a command ends, or that it is still running.
type ExecResult struct {
	ExitCode       int
	Signal         int // killed by this signal (ExitCode is then ignored)
	Stdout, Stderr string
	Running        bool // guest-exec-status says it has not exited (see Agent.Exit)
}

type guest struct {
	users      map[string]*user
	files      map[string][]byte
	handles    map[int64]*openFile
	procs      map[int]ExecResult
	exec       func(Exec) ExecResult
	os         OSInfo
	hostname   string
	zone       string
	offset     int
	interfaces []Interface
	nextHandle int64
	nextPID    int
}

type openFile struct {
	path string
	pos  int
}

func newGuest() guest {
	return guest{
		users:   map[string]*user{"root": {}},
		files:   map[string][]byte{},
		handles: map[int64]*openFile{},
		procs:   map[int]ExecResult{},
		exec:    func(Exec) ExecResult { return ExecResult{} },
		os: OSInfo{ID: "debian", Name: "Debian GNU/Linux", PrettyName: "Debian GNU/Linux 12 (bookworm)", Version: "12 (bookworm)",
			VersionID: "12", KernelRelease: "6.1.0-fake-amd64", KernelVersion: "#1 SMP Debian 6.1.0", Machine: "x86_64"},
		hostname: "fakeguest", zone: "UTC",
		interfaces: []Interface{
			{Name: "lo", HardwareAddress: "00:00:00:00:00:00", Addresses: []Address{{"127.0.0.1", "ipv4", 8}, {"::1", "ipv6", 128}}},
			{Name: "eth0", HardwareAddress: "52:54:00:00:00:01", Addresses: []Address{
				{"192.0.2.10", "ipv4", 24}, {"fe80::1", "ipv6", 64}, {"2001:db8::10", "ipv6", 64}}},
		},
		nextHandle: 1000,
		nextPID:    100, // the first command is PID 101
	}
}

// AddUser creates guest accounts (root exists), with no authorized_keys.
func (a *Agent) AddUser(names ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, n := range names {
		if a.guest.users[n] == nil {
			a.guest.users[n] = &user{}
		}
	}
}

// SetAuthorizedKeys writes a user's authorized_keys (creating the user):
// no keys is an empty file.
func (a *Agent) SetAuthorizedKeys(name string, keys ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.guest.user(name)
	u.keys, u.keysFile = slices.Clone(keys), true
}

// AuthorizedKeys returns a user's authorized_keys in file order; nil when
// the user or the file does not exist.
func (a *Agent) AuthorizedKeys(name string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.guest.users[name]
	if u == nil || !u.keysFile {
		return nil
	}
	return append([]string{}, u.keys...)
}

// Password returns the last password set for a user (as sent: a crypt(3)
// hash when crypted) and whether it was set at all.
func (a *Agent) Password(name string) (password string, crypted, set bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	u := a.guest.users[name]
	if u == nil || u.password == "" {
		return "", false, false
	}
	return u.password, u.crypted, true
}

// SetFile writes a guest file, which guest-file-open and -read can read.
func (a *Agent) SetFile(path string, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.guest.files[path] = slices.Clone(data)
}

// RemoveFile removes a guest file (what an rm run through guest-exec would
// do, for fakes of such commands).
func (a *Agent) RemoveFile(path string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.guest.files, path)
}

// File returns a guest file's contents, and whether it exists.
func (a *Agent) File(path string) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	data, ok := a.guest.files[path]
	return slices.Clone(data), ok
}

// SetExec sets what guest-exec does: f gets each command and says how it
// ends. f runs without the agent's lock: it may call the agent's methods,
// such as Exit for a command it started earlier. The default: every
// command exits 0 with no output.
func (a *Agent) SetExec(f func(Exec) ExecResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.guest.exec = f
}

// Exit ends a running command (see ExecResult.Running): its next
// guest-exec-status reports r.
func (a *Agent) Exit(pid int, r ExecResult) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r.Running = false
	a.guest.procs[pid] = r
}

// SetOSInfo sets what guest-get-osinfo returns.
func (a *Agent) SetOSInfo(os OSInfo) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.guest.os = os
}

// SetHostname sets what guest-get-host-name returns.
func (a *Agent) SetHostname(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.guest.hostname = name
}

// SetTimezone sets what guest-get-timezone returns.
func (a *Agent) SetTimezone(zone string, offsetSeconds int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.guest.zone, a.guest.offset = zone, offsetSeconds
}

// SetInterfaces sets what guest-network-get-interfaces returns.
func (a *Agent) SetInterfaces(ifaces ...Interface) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.guest.interfaces = slices.Clone(ifaces)
}

func (g *guest) user(name string) *user {
	u := g.users[name]
	if u == nil {
		u = &user{}
		g.users[name] = u
	}
	return u
}

// builtinCommands are the commands the fake guest answers by itself.
var builtinCommands = []string{
	"guest-ping", "guest-info", "guest-get-osinfo", "guest-get-host-name", "guest-get-timezone",
	"guest-network-get-interfaces", "guest-ssh-get-authorized-keys", "guest-ssh-add-authorized-keys",
	"guest-ssh-remove-authorized-keys", "guest-set-user-password", "guest-file-open", "guest-file-read",
	"guest-file-write", "guest-file-seek", "guest-file-close", "guest-exec", "guest-exec-status",
	"guest-sync", "guest-sync-delimited",
}

func builtin(command string) bool { return slices.Contains(builtinCommands, command) }

// args are the arguments of every built-in command.
type args struct {
	Username string   `json:"username"`
	Keys     []string `json:"keys"`
	Reset    bool     `json:"reset"`
	Password []byte   `json:"password"` // base64 on the wire
	Crypted  bool     `json:"crypted"`
	Path     string   `json:"path"`
	Mode     string   `json:"mode"`
	Handle   int64    `json:"handle"`
	Count    int      `json:"count"`
	Buf      []byte   `json:"buf-b64"`
	Offset   int      `json:"offset"`
	Whence   string   `json:"whence"`
	PID      int      `json:"pid"`
	Arg      []string `json:"arg"`
	Env      []string `json:"env"`
	Input    []byte   `json:"input-data"`
	Capture  bool     `json:"capture-output"`
}

func (a *Agent) builtin(command string, raw json.RawMessage) (any, *Error) {
	var in args
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &in); err != nil {
			return nil, GenericError("Invalid parameter type: " + err.Error())
		}
	}
	if command == "guest-exec" {
		return a.startExec(in)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	g := &a.guest
	switch command {
	case "guest-ping":
		return struct{}{}, nil
	case "guest-info":
		return a.info(), nil
	case "guest-get-osinfo":
		return g.os, nil
	case "guest-get-host-name":
		return map[string]any{"host-name": g.hostname}, nil
	case "guest-get-timezone":
		return map[string]any{"zone": g.zone, "offset": g.offset}, nil
	case "guest-network-get-interfaces":
		return g.interfaces, nil
	case "guest-set-user-password":
		u := g.users[in.Username]
		if u == nil {
			return nil, GenericError("child process has failed to set user password")
		}
		u.password, u.crypted = string(in.Password), in.Crypted
		return struct{}{}, nil
	case "guest-exec-status":
		return g.execStatus(in.PID)
	case "guest-file-open", "guest-file-read", "guest-file-write", "guest-file-seek", "guest-file-close":
		return g.file(command, in)
	}
	return g.sshKeys(command, in)
}

// info lists the commands as guest-info does.
func (a *Agent) info() any {
	type cmd struct {
		Name            string `json:"name"`
		Enabled         bool   `json:"enabled"`
		SuccessResponse bool   `json:"success-response"`
	}
	names := slices.Clone(builtinCommands)
	for n := range a.handlers {
		if !builtin(n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	cmds := []cmd{}
	for _, n := range names {
		if !a.missing[n] {
			cmds = append(cmds, cmd{n, !a.disabled[n], true})
		}
	}
	return map[string]any{"version": Version, "supported_commands": cmds}
}

func (g *guest) sshKeys(command string, in args) (any, *Error) {
	u := g.users[in.Username]
	if u == nil {
		return nil, GenericError("failed to lookup user '" + in.Username + "': no such user")
	}
	switch command {
	case "guest-ssh-get-authorized-keys":
		if !u.keysFile {
			return nil, GenericError("failed to read '/home/" + in.Username + "/.ssh/authorized_keys': No such file or directory")
		}
		// qemu-ga 7.2 lists the file's keys last line first.
		keys := slices.Clone(u.keys)
		slices.Reverse(keys)
		return map[string]any{"keys": nonNil(keys)}, nil
	case "guest-ssh-add-authorized-keys":
		if in.Reset {
			u.keys = nil
		}
		for _, k := range in.Keys {
			if !slices.Contains(u.keys, k) {
				u.keys = append(u.keys, k)
			}
		}
		u.keysFile = true
	case "guest-ssh-remove-authorized-keys":
		u.keys = slices.DeleteFunc(u.keys, func(k string) bool { return slices.Contains(in.Keys, k) })
	}
	return struct{}{}, nil
}

func (g *guest) file(command string, in args) (any, *Error) {
	if command == "guest-file-open" {
		if _, ok := g.files[in.Path]; !ok && !strings.ContainsAny(in.Mode, "wa") {
			return nil, GenericError("failed to open file '" + in.Path + "' (mode: '" + in.Mode + "'): No such file or directory")
		}
		if strings.HasPrefix(in.Mode, "w") || g.files[in.Path] == nil {
			g.files[in.Path] = []byte{}
		}
		g.nextHandle++
		g.handles[g.nextHandle] = &openFile{path: in.Path}
		return g.nextHandle, nil
	}
	f := g.handles[in.Handle]
	if f == nil {
		return nil, GenericError("handle '" + strconv.FormatInt(in.Handle, 10) + "' has not been found")
	}
	data := g.files[f.path]
	switch command {
	case "guest-file-read":
		count := in.Count
		if count <= 0 {
			count = 4096
		}
		end := min(f.pos+count, len(data))
		chunk := data[min(f.pos, end):end]
		f.pos = end
		return map[string]any{"count": len(chunk), "buf-b64": base64.StdEncoding.EncodeToString(chunk), "eof": f.pos >= len(data)}, nil
	case "guest-file-write":
		if grow := f.pos + len(in.Buf) - len(data); grow > 0 {
			data = append(data, make([]byte, grow)...)
		}
		copy(data[f.pos:], in.Buf)
		f.pos += len(in.Buf)
		g.files[f.path] = data
		return map[string]any{"count": len(in.Buf), "eof": false}, nil
	case "guest-file-seek":
		switch in.Whence {
		case "cur":
			f.pos += in.Offset
		case "end":
			f.pos = len(data) + in.Offset
		default: // "set"
			f.pos = in.Offset
		}
		if f.pos < 0 {
			f.pos = 0
			return nil, GenericError("failed to seek file: Invalid argument")
		}
		return map[string]any{"position": f.pos, "eof": f.pos >= len(data)}, nil
	}
	delete(g.handles, in.Handle)
	return struct{}{}, nil
}

func (a *Agent) startExec(in args) (any, *Error) {
	a.mu.Lock()
	f := a.guest.exec
	a.guest.nextPID++
	pid := a.guest.nextPID
	a.guest.procs[pid] = ExecResult{Running: true} // until f says how it ends
	a.mu.Unlock()
	r := f(Exec{Path: in.Path, Args: in.Arg, Env: in.Env, Input: in.Input, Capture: in.Capture})
	if !in.Capture {
		r.Stdout, r.Stderr = "", ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur, ok := a.guest.procs[pid]; ok && cur.Running {
		a.guest.procs[pid] = r
	}
	return map[string]any{"pid": pid}, nil
}

func (g *guest) execStatus(pid int) (any, *Error) {
	p, ok := g.procs[pid]
	if !ok {
		return nil, GenericError("Invalid parameter 'pid'")
	}
	if p.Running {
		return map[string]any{"exited": false}, nil
	}
	delete(g.procs, pid) // qemu-ga forgets a process once it reported its exit
	out := map[string]any{"exited": true}
	if p.Signal != 0 {
		out["signal"] = p.Signal
	} else {
		out["exitcode"] = p.ExitCode
	}
	if p.Stdout != "" {
		out["out-data"] = base64.StdEncoding.EncodeToString([]byte(p.Stdout))
	}
	if p.Stderr != "" {
		out["err-data"] = base64.StdEncoding.EncodeToString([]byte(p.Stderr))
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
