package connhelper

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// maxInlineStdin is the most stdin sent inside the guest-exec command
// itself (input-data). Through libvirt a whole agent command must fit in
// the send buffer of libvirtd's socket to the agent (about 212 KB, see
// qgaclient's libvirtWriteChunk); a larger guest-exec breaks the channel
// until the agent recovers. A pipelined Ansible module (setup's is about
// 300 KB once base64-encoded) is larger: such stdin is written to a guest
// file first with the chunked, self-recovering qgaclient.WriteFile.
const maxInlineStdin = 96 << 10

// stagedStdinDir is where large stdin waits for its command. The file's
// name is random (no other user of the guest can guess it in advance) and
// qemu-ga creates files with mode 0600; the command's shell opens it as its
// standard input and removes it before running anything else.
const stagedStdinDir = "/tmp"

// withStdin returns the request to run: req itself when its stdin is small
// enough to go inline, else the request reading its stdin from a guest
// file written now, and a cleanup that removes that file should the command
// not have started.
func withStdin(ctx context.Context, c *qgaclient.Client, req qgaclient.ExecRequest) (qgaclient.ExecRequest, func(), error) {
	if len(req.Stdin) <= maxInlineStdin || req.Path != "/bin/sh" || len(req.Args) != 2 || req.Args[0] != "-c" {
		return req, func() {}, nil
	}
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return req, nil, fmt.Errorf("naming the guest file for the command's input: %w", err)
	}
	path := stagedStdinDir + "/.qga-stdin-" + hex.EncodeToString(rnd[:])
	if err := c.WriteFile(ctx, path, req.Stdin); err != nil {
		return req, nil, fmt.Errorf("writing the command's input to the guest (it is too large to send with guest-exec through libvirt): %w", err)
	}
	cleanup := func() {
		rm := qgaclient.ExecRequest{Path: "/bin/rm", Args: []string{"-f", "--", path}}
		_, _ = c.Run(context.WithoutCancel(ctx), rm, defaultCallTimeout*time.Second)
	}
	// $0 is the file: no quoting of the path inside the script is needed.
	script := "exec <\"$0\" || exit 125\nrm -f -- \"$0\"\n" + req.Args[1]
	return qgaclient.ExecRequest{Path: "/bin/sh", Args: []string{"-c", script, path}, Env: req.Env}, cleanup, nil
}
