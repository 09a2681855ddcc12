package qgaclient

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// socketIdleClose is how long an unused direct-socket connection stays open.
// QEMU's chardev socket serves one client at a time, so holding it longer
// would lock out other tools (and other processes of ours) for no gain.
const socketIdleClose = 2 * time.Second

// syncTimeout bounds the guest-sync handshake when the caller allows more:
// an agent that answers at all answers it within milliseconds.
const syncTimeout = 10 * time.Second

// socketChannel is one QEMU agent chardev socket, shared by the clients of a
// Pool that use that path. Commands are serialized: the channel carries
// one conversation.
type socketChannel struct {
	path string
	lock chan struct{} // a mutex that can be waited on with a deadline

	conn     net.Conn // nil when closed
	frames   *frameReader
	synced   bool // false after connecting and after any timeout or I/O error
	idle     *time.Timer
	lastUsed time.Time
}

// syncCounter numbers the sync handshakes of the process: an answer to
// another channel's handshake is never taken for this one's.
var syncCounter atomic.Int64

func init() { syncCounter.Store(time.Now().UnixNano() & 0x7fffffff) }

// socketTransport talks to the agent over a host unix socket.
type socketTransport struct{ ch *socketChannel }

func (t *socketTransport) Target() string { return "agent socket " + t.ch.path }

// Close leaves the shared channel to its idle timer.
func (t *socketTransport) Close() error { return nil }

// Chunk sizes over the direct socket, measured on the test bed
// (docs/BENCHMARKS.md). There is no libvirt in between: 4 MiB was accepted
// both ways, and upload speed is the same for 256 KiB to 4 MiB chunks (the
// guest's vCPU is busy parsing). 1 MiB writes keep each command well within
// writeChunkTimeout on a loaded guest.
const (
	socketReadChunk  = 4 << 20
	socketWriteChunk = 1 << 20
)

func (t *socketTransport) fileChunks() (read, write int) { return socketReadChunk, socketWriteChunk }

func (t *socketTransport) Run(ctx context.Context, command string, args any) (json.RawMessage, error) {
	ch := t.ch
	select {
	case ch.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, newError(t.Target(), command, ErrTimeout, fmt.Errorf("waiting for the channel, busy with another command: %w", ctx.Err()))
	}
	defer func() {
		// Every outcome (success, agent error, timeout, cancel, failed sync)
		// re-arms the idle close: a command that failed must not keep the
		// socket from other clients for the life of this process.
		ch.touch()
		<-ch.lock
	}()

	raw, err := ch.run(ctx, command, args)
	if err != nil {
		return nil, t.wrap(command, err)
	}
	return raw, nil
}

func (t *socketTransport) wrap(command string, err error) error {
	var e *Error
	var ae *AgentError
	var ne net.Error
	switch {
	case errors.As(err, &e):
		return err
	case errors.As(err, &ae):
		return classifyAgentError(t.Target(), command, ae)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return newError(t.Target(), command, ErrTimeout, err)
	case errors.Is(err, context.Canceled):
		return newError(t.Target(), command, ErrTimeout, err)
	}
	return newError(t.Target(), command, ErrConnection, err)
}

// run does one command; the caller holds ch.lock.
func (ch *socketChannel) run(ctx context.Context, command string, args any) (json.RawMessage, error) {
	req, err := json.Marshal(request{Execute: command, Arguments: args})
	if err != nil {
		return nil, fmt.Errorf("encoding the command: %w", err)
	}
	if err := ch.ensureSynced(ctx); err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline() // zero: none
	defer interruptOn(ctx, ch.conn, deadline)()
	if _, err := ch.conn.Write(req); err != nil {
		ch.reset()
		return nil, err
	}
	frame, err := ch.frames.next()
	if err != nil {
		// The reply may still come later: only a new sync makes the channel
		// trustworthy again. After a plain timeout the connection is kept and
		// resynced; after any other failure it is reopened.
		ch.synced = false
		if !isTimeout(err) {
			ch.reset()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return decodeReply(frame)
}

// ensureSynced connects if needed and runs the guest-sync-delimited
// handshake: 0xFF makes the agent drop any half-read input, and its answer
// comes after a 0xFF that ends whatever stale output was on the channel.
func (ch *socketChannel) ensureSynced(ctx context.Context) error {
	if ch.conn != nil && ch.synced {
		return nil
	}
	if ch.conn == nil {
		var d net.Dialer
		conn, err := d.DialContext(ctx, "unix", ch.path)
		if err != nil {
			return newError("agent socket "+ch.path, "", ErrConnection, fmt.Errorf("%w; is the VM running with this chardev socket?", err))
		}
		ch.conn = conn
		ch.frames = newFrameReader(bufio.NewReaderSize(conn, 64<<10))
	}
	deadline := time.Now().Add(syncTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	defer interruptOn(ctx, ch.conn, deadline)()

	id := syncCounter.Add(1)
	msg, _ := json.Marshal(request{Execute: "guest-sync-delimited", Arguments: map[string]int64{"id": id}})
	if _, err := ch.conn.Write(append([]byte{sentinel}, msg...)); err != nil {
		ch.reset()
		return err
	}
	for {
		if err := ch.frames.skipToSentinel(); err != nil {
			return ch.syncFailed(err)
		}
		frame, err := ch.frames.next()
		if err != nil {
			return ch.syncFailed(err)
		}
		var got int64
		if raw, err := decodeReply(frame); err == nil && json.Unmarshal(raw, &got) == nil && got == id {
			ch.synced = true
			return nil
		}
		// An answer to an earlier sync (or stale output): keep looking.
	}
}

func (ch *socketChannel) syncFailed(err error) error {
	ch.reset()
	if isTimeout(err) {
		return newError("agent socket "+ch.path, "guest-sync-delimited", ErrAgentUnavailable,
			fmt.Errorf("no answer to the sync handshake: the agent is not running in the guest, or another client holds the socket: %w", err))
	}
	if errors.Is(err, io.EOF) {
		return newError("agent socket "+ch.path, "guest-sync-delimited", ErrAgentUnavailable, errors.New("the socket closed during the handshake"))
	}
	return err
}

// interruptOn sets the connection's deadline for one caller's I/O and makes
// ctx's end (a cancel, not only its deadline) interrupt that I/O. The
// returned release must run before the connection is handed to the next
// caller: when ctx ended just as the I/O completed, the interrupt is already
// under way in another goroutine, and release waits for it. Without the
// wait, it could land after the next caller set its own deadline and cut
// that caller's command (TestSocketLateDeadlineDoesNotCutNextCommand).
// The deadline is set before the interrupt is armed, so that an interrupt
// for an already ended ctx is not overwritten by it.
func interruptOn(ctx context.Context, conn net.Conn, deadline time.Time) (release func()) {
	conn.SetDeadline(deadline)
	interrupted := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(interrupted)
		conn.SetDeadline(time.Now())
	})
	return func() {
		if !stop() {
			<-interrupted
		}
	}
}

// reset drops the connection; the next command reconnects and resyncs.
func (ch *socketChannel) reset() {
	if ch.conn != nil {
		ch.conn.Close()
	}
	ch.conn, ch.frames, ch.synced = nil, nil, false
}

// touch arms the idle timer that frees the socket for other clients. The
// caller holds ch.lock.
func (ch *socketChannel) touch() {
	ch.lastUsed = time.Now()
	if ch.idle == nil {
		ch.idle = time.AfterFunc(socketIdleClose, ch.closeIfIdle)
		return
	}
	ch.idle.Reset(socketIdleClose)
}

func (ch *socketChannel) closeIfIdle() {
	select {
	case ch.lock <- struct{}{}:
	default:
		return // in use; the command re-arms the timer when it ends, whatever its outcome
	}
	defer func() { <-ch.lock }()
	if time.Since(ch.lastUsed) >= socketIdleClose {
		ch.reset()
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
