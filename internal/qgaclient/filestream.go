package qgaclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Streaming transfers: files of any size in and out of the guest with the
// host's memory bounded by one buffer, for callers that move files rather
// than hold them (the Ansible connection plugin's put_file and fetch_file).

// streamBuffer is how much of the source WriteFileFrom holds at a time: a
// few write chunks, so a short read from the source still fills whole chunks.
const streamBuffer = 1 << 20

// WriteFileFrom creates or truncates a file in the guest and writes what r
// yields until EOF, with WriteFile's chunking and recovery. It returns the
// bytes written. r's own errors are returned wrapped, never its data.
func (c *Client) WriteFileFrom(ctx context.Context, path string, r io.Reader) (int64, error) {
	h, err := c.FileOpen(ctx, path, "w")
	if err != nil {
		return 0, err
	}
	about := func(off int64) string { return fmt.Sprintf("file %q (after %d bytes)", path, off) }
	chunk := c.writeChunk()
	buf := make([]byte, max(streamBuffer, chunk))
	var done int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			if err := c.writeAt(ctx, h, done, buf[:n], &chunk, about); err != nil {
				return done, err
			}
			done += int64(n)
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			c.closeQuietly(ctx, h)
			return done, fmt.Errorf("reading what to write to guest file %q (after %d bytes): %w", path, done, rerr)
		}
	}
	if err := c.FileClose(ctx, h); err != nil {
		return done, withAbout(err, "file "+strconv.Quote(path))
	}
	return done, nil
}

// ReadFileTo copies a whole file from the guest to w, a chunk at a time,
// with no size limit, and returns the bytes copied.
func (c *Client) ReadFileTo(ctx context.Context, path string, w io.Writer) (int64, error) {
	h, err := c.FileOpen(ctx, path, "r")
	if err != nil {
		return 0, err
	}
	defer c.closeQuietly(ctx, h)
	var done int64
	for {
		buf, eof, err := c.FileRead(ctx, h, c.readChunk())
		if err != nil {
			return done, withAbout(err, fmt.Sprintf("file %q (after %d bytes)", path, done))
		}
		if _, err := w.Write(buf); err != nil {
			return done, fmt.Errorf("storing guest file %q (after %d bytes): %w", path, done, err)
		}
		done += int64(len(buf))
		if eof || len(buf) == 0 {
			return done, nil
		}
	}
}
