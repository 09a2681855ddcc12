package qgaclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxReadFile bounds ReadFile so that a huge guest file cannot exhaust the
// host's memory.
const MaxReadFile = 64 << 20

// FileOpen opens a file in the guest with an fopen(3) mode ("r", "w", "a",
// "r+", ...) and returns the agent's handle.
func (c *Client) FileOpen(ctx context.Context, path, mode string) (int64, error) {
	var handle int64
	err := c.call(ctx, "guest-file-open", map[string]any{"path": path, "mode": mode}, &handle)
	return handle, withAbout(err, "file "+strconv.Quote(path))
}

// FileClose closes a handle from FileOpen.
func (c *Client) FileClose(ctx context.Context, handle int64) error {
	return c.call(ctx, "guest-file-close", map[string]any{"handle": handle}, nil)
}

// FileRead reads up to count bytes from an open file.
func (c *Client) FileRead(ctx context.Context, handle int64, count int) (data []byte, eof bool, err error) {
	var out struct {
		Count int           `json:"count"`
		Buf   base64InPlace `json:"buf-b64"`
		EOF   bool          `json:"eof"`
	}
	if err := c.call(ctx, "guest-file-read", map[string]any{"handle": handle, "count": count}, &out); err != nil {
		return nil, false, err
	}
	return out.Buf, out.EOF, nil
}

// FileWrite writes data to an open file and returns the bytes written.
func (c *Client) FileWrite(ctx context.Context, handle int64, data []byte) (int, error) {
	var out struct {
		Count int `json:"count"`
	}
	args := map[string]any{"handle": handle, "buf-b64": base64.StdEncoding.EncodeToString(data)}
	if err := c.call(ctx, "guest-file-write", args, &out); err != nil {
		return 0, err
	}
	return out.Count, nil
}

// FileSeek sets an open file's position to offset bytes from the start and
// returns the new position.
func (c *Client) FileSeek(ctx context.Context, handle, offset int64) (int64, error) {
	return c.fileSeek(ctx, handle, offset, "set")
}

// fileSeek moves an open file's position relative to whence ("set", "cur"
// or "end") and returns the new position from the start.
func (c *Client) fileSeek(ctx context.Context, handle, offset int64, whence string) (int64, error) {
	var out struct {
		Position int64 `json:"position"`
	}
	if err := c.call(ctx, "guest-file-seek", map[string]any{"handle": handle, "offset": offset, "whence": whence}, &out); err != nil {
		return 0, err
	}
	return out.Position, nil
}

// What WriteFile does when a chunk breaks the channel. Chunk sizes
// themselves belong to the transports (fileChunker): each knows what its
// messages can carry.
const (
	// minWriteChunk is where halving after a broken write stops.
	minWriteChunk = 16 << 10
	// writeChunkTimeout bounds one chunk's guest-file-write: a broken
	// command is not answered at all, and libvirt would otherwise wait for
	// the caller's whole deadline. A 128 KiB write takes 30-150 ms and a
	// 1 MiB write 0.25-1 s on the software-emulated test bed; a slow one
	// that times out is just written again.
	writeChunkTimeout = 5 * time.Second
	// recoverPingTimeout bounds each ping while waiting for the channel to
	// work again: after a broken write, the first command is swallowed by
	// the agent's unfinished parse; the one after it is answered.
	recoverPingTimeout = time.Second
)

// fileChunks are the transport's chunk sizes, or defaultFileChunks.
func (c *Client) fileChunks() (read, write int) {
	if fc, ok := c.t.(fileChunker); ok {
		return fc.fileChunks()
	}
	return defaultFileChunks()
}

func (c *Client) writeChunk() int {
	// A chunk that had to shrink after the channel broke stays small, so
	// that later writes do not break it again.
	if n := c.guest.writeChunk.Load(); n > 0 {
		return int(n)
	}
	_, write := c.fileChunks()
	return write
}

func (c *Client) readChunk() int {
	read, _ := c.fileChunks()
	return read
}

// ReadFile reads a whole file from the guest (at most MaxReadFile bytes).
func (c *Client) ReadFile(ctx context.Context, path string) ([]byte, error) {
	data, more, err := c.readFileUpTo(ctx, path, MaxReadFile)
	if err != nil {
		return nil, err
	}
	if more {
		return nil, newError(c.t.Target(), "guest-file-read", nil, fmt.Errorf("file %q is larger than %d bytes", path, MaxReadFile))
	}
	return data, nil
}

// readFileUpTo reads at most limit bytes of a file, in chunks the transport
// can carry; more says the file holds more than limit. A file larger than
// one chunk is measured first (a seek to its end and back), so its bytes
// are gathered in one buffer of the right size: memory stays at the file's
// size instead of the doubling of a growing slice.
func (c *Client) readFileUpTo(ctx context.Context, path string, limit int) (data []byte, more bool, err error) {
	h, err := c.FileOpen(ctx, path, "r")
	if err != nil {
		return nil, false, err
	}
	defer c.closeQuietly(ctx, h)
	about := "file " + strconv.Quote(path)
	for {
		// One byte past the limit tells a file of exactly limit bytes from
		// a longer one.
		buf, eof, err := c.FileRead(ctx, h, min(c.readChunk(), limit+1-len(data)))
		if err != nil {
			return nil, false, withAbout(err, about)
		}
		if data == nil {
			if eof && len(buf) <= limit {
				return buf, false, nil // the whole file in one read: no copy
			}
			if data, err = c.sizedBuffer(ctx, h, limit, len(buf)); err != nil {
				return nil, false, withAbout(err, about)
			}
		}
		data = append(data, buf...)
		if len(data) > limit {
			return data[:limit], true, nil
		}
		if eof || len(buf) == 0 {
			return data, false, nil
		}
	}
}

// sizedBuffer returns an empty buffer for the rest of an open file (at most
// limit + 1 bytes), whose first read returned n bytes: it seeks to the end
// for the size, then back to n. Where guest-file-seek is refused, the
// buffer grows as it must.
func (c *Client) sizedBuffer(ctx context.Context, h int64, limit, n int) ([]byte, error) {
	size, err := c.fileSeek(ctx, h, 0, "end")
	if errors.Is(err, ErrCommandDisabled) || errors.Is(err, ErrCommandUnsupported) {
		return make([]byte, 0, 2*n), nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := c.FileSeek(ctx, h, int64(n)); err != nil {
		return nil, err
	}
	return make([]byte, 0, min(max(size, int64(n)), int64(limit)+1)), nil
}

// WriteFile creates or truncates a file in the guest and writes data to it.
// When the channel breaks during a chunk (the agent stops answering, or
// answers that the command arrived corrupted), it waits for the agent,
// seeks back to where the chunk began and goes on with chunks half the
// size, down to 16 KiB; the smaller size is kept for later writes to the
// same guest.
func (c *Client) WriteFile(ctx context.Context, path string, data []byte) error {
	h, err := c.FileOpen(ctx, path, "w")
	if err != nil {
		return err
	}
	about := func(off int64) string { return fmt.Sprintf("file %q (after %d of %d bytes)", path, off, len(data)) }
	chunk := c.writeChunk()
	if err := c.writeAt(ctx, h, 0, data, &chunk, about); err != nil {
		return err
	}
	if err := c.FileClose(ctx, h); err != nil {
		return withAbout(err, "file "+strconv.Quote(path))
	}
	return nil
}

// writeAt writes data to an open file whose position is base, in chunks of
// *chunk bytes, recovering from a broken channel as WriteFile says (and
// shrinking *chunk). On failure it closes the handle; about describes the
// file and the offset reached, for the error.
func (c *Client) writeAt(ctx context.Context, h, base int64, data []byte, chunk *int, about func(off int64) string) error {
	for off := 0; off < len(data); {
		end := min(off+*chunk, len(data))
		cctx, cancel := context.WithTimeout(ctx, writeChunkTimeout)
		n, err := c.FileWrite(cctx, h, data[off:end])
		cancel()
		if err == nil && n <= 0 {
			err = newError(c.t.Target(), "guest-file-write", ErrAgentFailed, fmt.Errorf("the agent wrote %d of %d bytes", n, end-off))
		}
		if err != nil {
			if ctx.Err() != nil || !channelBroke(err) || *chunk <= minWriteChunk {
				c.closeQuietly(ctx, h)
				return withAbout(err, about(base+int64(off)))
			}
			if rerr := c.recoverWrite(ctx, h, base+int64(off)); rerr != nil {
				c.closeQuietly(ctx, h)
				return withAbout(fmt.Errorf("%w; recovering failed: %w", err, rerr), about(base+int64(off)))
			}
			*chunk = max(*chunk/2, minWriteChunk)
			c.guest.writeChunk.Store(int64(*chunk))
			continue
		}
		off += n
	}
	return nil
}

// channelBroke tells failures of the channel, after which the same write
// may succeed, from the agent's answers about the file (no space, bad
// handle), after which it would not.
func channelBroke(err error) bool {
	if errors.Is(err, ErrAgentUnavailable) || errors.Is(err, ErrTimeout) || errors.Is(err, ErrConnection) {
		return true
	}
	var ae *AgentError
	if errors.As(err, &ae) {
		// What qemu-ga answers to a command that arrived corrupted.
		for _, s := range []string{"JSON parse error", "Invalid JSON", "QMP input", "Expecting value", "expecting value"} {
			if strings.Contains(ae.Desc, s) {
				return true
			}
		}
	}
	return false
}

// recoverWrite waits until the agent answers again and puts the handle's
// position back to off, whatever part of the broken chunk the agent did or
// did not write.
func (c *Client) recoverWrite(ctx context.Context, h, off int64) error {
	var last error
	for attempt := 0; attempt < 30; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("%w (last: %w)", ctx.Err(), last)
			case <-time.After(time.Duration(min(attempt, 5)) * 100 * time.Millisecond):
			}
		}
		pctx, cancel := context.WithTimeout(ctx, recoverPingTimeout)
		last = c.Ping(pctx)
		cancel()
		if last != nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, writeChunkTimeout)
		pos, err := c.FileSeek(sctx, h, off)
		cancel()
		switch {
		case err == nil && pos == off:
			return nil
		case err == nil:
			last = fmt.Errorf("seek to %d answered position %d", off, pos)
		case channelBroke(err):
			last = err
		default:
			return err // the handle is gone (the agent restarted): give up
		}
	}
	return last
}

// closeQuietly closes a handle on an error path, where the first error is
// the one worth reporting; it still gets its own bounded context so a
// cancelled ctx does not leak the guest's handle.
func (c *Client) closeQuietly(ctx context.Context, handle int64) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = c.FileClose(ctx, handle)
}

// SetFileChunk sets the chunk size WriteFile starts with for this client's
// guest, for the clients of its pool (0 restores the transport's default). The defaults
// suit the test bed's measurements; a libvirt host with a smaller socket
// send buffer (net.core.wmem_default) may need less, and WriteFile shrinks
// it by itself when a write breaks the channel.
func (c *Client) SetFileChunk(n int) {
	c.guest.writeChunk.Store(int64(max(n, 0)))
}
