package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// What guest_copy and guest_fetch share: the diff bound, file modes as
// Ansible writes them, the attributes a result reports, and the local side
// of a transfer (hashing, reading within a bound). Files move streamed, a
// chunk at a time: no size bound but the disks' and the task's time.

const (
	// maxDiffSize bounds the text shown by --diff, before and after.
	maxDiffSize = 64 << 10
)

// minTransferRate is the slowest transfer a file move is given time for,
// on top of agent_timeout: a 64 MiB file gets 17 minutes more. The test
// bed moves 16 MiB in 46 s through libvirt under load (0.35 MiB/s), and
// each chunk has a deadline of its own in qgaclient, so a stalled agent
// still fails within seconds.
const minTransferRate = 64 << 10 // bytes per second

// transfer bounds one file move of size bytes.
func (g *guest) transfer(ctx context.Context, size int64) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, g.callTimeout+time.Duration(size/minTransferRate)*time.Second)
}

// parseFileMode reads a mode as Ansible's file modules take it: an int is
// the mode's value (YAML reads 0644 as 420, as Ansible does), a string is
// octal, as guestrules.ParseFileMode reads it for both front ends. nil (not
// set) gives nil.
func parseFileMode(v any) (*uint32, error) {
	var s string
	switch v := v.(type) {
	case nil:
		return nil, nil
	case json.Number, int:
		n, err := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		if err != nil || n < 0 || n > 0o7777 {
			return nil, fmt.Errorf("mode %v is not a file mode: give an octal string such as \"0644\" (at most \"07777\")", v)
		}
		s = guestrules.FormatFileMode(uint32(n))
	case string:
		s = strings.TrimSpace(v)
	default:
		return nil, fmt.Errorf("mode %v: give an octal string such as \"0644\"", v)
	}
	m, err := guestrules.ParseFileMode(s)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// fileFacts are the attributes of a guest file that results report.
func fileFacts(info *qgaclient.FileInfo) map[string]any {
	return map[string]any{
		"checksum": info.SHA256, "size": info.Size, "mode": guestrules.FormatFileMode(info.Mode),
		"owner": info.Owner, "group": info.Group, "uid": info.UID, "gid": info.GID,
	}
}

// sha256Hex is the hex sha256 of data, as the guest's sha256sum prints it.
func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// openLocalFile opens a regular file on the machine the module runs on,
// naming the option in every error.
func openLocalFile(option, p string) (*os.File, os.FileInfo, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w (the path is on the machine the module runs on)", option, err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		err = fmt.Errorf("%s: %w", option, err)
	case fi.IsDir():
		err = fmt.Errorf("%s %q is a directory: give one file", option, p)
	case !fi.Mode().IsRegular():
		err = fmt.Errorf("%s %q is not a regular file", option, p)
	}
	if err != nil {
		_ = f.Close()
		return nil, nil, err
	}
	return f, fi, nil
}

// hashLocalFile is the sha256 (hex) and size of a regular local file,
// read a block at a time.
func hashLocalFile(option, p string) (string, int64, error) {
	f, _, err := openLocalFile(option, p)
	if err != nil {
		return "", 0, err
	}
	defer func() { _ = f.Close() }() // read only
	sum, n, err := qgaclient.SHA256Of(f)
	if err != nil {
		return "", 0, fmt.Errorf("%s: reading %q: %w", option, p, err)
	}
	return sum, n, nil
}

// readLocalFile reads a regular file on the machine the module runs on,
// at most limit bytes, naming the option in every error.
func readLocalFile(option, p string, limit int64) ([]byte, error) {
	f, fi, err := openLocalFile(option, p)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s %q holds %d bytes, more than the %d read here", option, p, fi.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: reading %q: %w", option, p, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s %q grew past %d bytes while it was read", option, p, limit)
	}
	return data, nil
}

// diffText is data as --diff shows it, or false when it is not text of a
// size worth showing.
func diffText(data []byte) (string, bool) {
	if len(data) > maxDiffSize || !utf8.Valid(data) || strings.ContainsRune(string(data), 0) {
		return "", false
	}
	return string(data), true
}
