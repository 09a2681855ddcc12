// Package qgaclient talks to the QEMU guest agent (qemu-ga) inside a virtual
// machine, through libvirt or through QEMU's agent chardev socket directly.
//
// Open a client for a libvirt domain or for a socket, wait for the agent, and
// call it; every call takes a context, and every error is an *Error whose kind
// can be tested with errors.Is:
//
//	c, err := qgaclient.Open(qgaclient.Target{URI: "qemu:///system", Domain: "web1"}, qgaclient.Options{})
//	if err != nil { ... }
//	defer c.Close()
//	if err := c.WaitForAgent(ctx, 2*time.Minute, nil); err != nil { ... }
//	res, err := c.Exec(ctx, qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", "uptime"}})
//	if errors.Is(err, qgaclient.ErrCommandDisabled) { ... }
//	fmt.Printf("exit %d: %s", res.ExitCode, res.Stdout)
//
// Open gives the client connections of its own, closed by its Close. A
// program that talks to many guests, or to one guest in many operations,
// makes a Pool and opens its clients from it: they share one connection per
// libvirt URI and per agent socket, and what was learned about each guest
// (how long it takes to start a command, a file chunk size that suits it),
// until Pool.Close.
//
// Transports: Target.Domain goes through libvirt (local qemu:///system and
// qemu:///session, and remote qemu+ssh://, qemu+libssh://, qemu+tcp://,
// qemu+tls:// URIs), one connection per URI, reopened when it drops. Target.AgentSocket speaks the wire
// protocol on a socket QEMU created with
// -chardev socket,id=qga0,path=SOCK,server=on,wait=off: each session starts
// with a 0xFF byte and guest-sync-delimited, and resyncs after any timeout.
//
// Tests: package qgatest is a fake agent on a socket, with a scriptable
// guest, for tests of anything built on this package.
//
// Calls: Ping, Info, OSInfo, Hostname, Timezone, Users, Interfaces, SSHKeys,
// AddSSHKeys, RemoveSSHKeys, SetSSHKeys, SetUserPassword, Exec (with
// ExecStart/ExecStatus/ExecWait), FileOpen/FileRead/FileWrite/FileClose and
// ReadFile/WriteFile. Require checks with guest-info that commands are
// present and enabled before anything is changed.
package qgaclient
