package main

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"

	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// guest_fetch reads one file from the guest, as ansible.builtin.fetch reads
// one from a host: into dest on the machine the module runs on, or, with
// return_content, into the result as base64 (ansible.builtin.slurp). The
// guest hashes the file (sha256) before it is read; the bytes read must
// match that hash, and the local file is written atomically and only when
// its content differs.

type fetchArgs struct {
	connectionArgs `mapstructure:",squash"`
	Src            string `mapstructure:"src"`
	Dest           string `mapstructure:"dest"`
	Flat           bool   `mapstructure:"flat"`
	FailOnMissing  bool   `mapstructure:"fail_on_missing"`
	ReturnContent  bool   `mapstructure:"return_content"`
}

// maxReturnContent bounds return_content: the file travels base64 in the
// task's result, through Ansible's JSON and memory, and often into logs.
const maxReturnContent = 4 << 20

var guestFetchModule = &ansible.Module{
	Name: "guest_fetch",
	Spec: withConnectionOptions(ansible.ArgSpec{
		Options: []ansible.Option{
			{Name: "src", Type: ansible.TypeStr, Required: true},
			{Name: "dest", Type: ansible.TypePath},
			{Name: "flat", Type: ansible.TypeBool, Default: false},
			{Name: "fail_on_missing", Type: ansible.TypeBool, Default: true},
			{Name: "return_content", Type: ansible.TypeBool, Default: false},
		},
	}),
	Run: runGuestFetch,
}

func runGuestFetch(ctx context.Context, req *ansible.Request) (ansible.Result, error) {
	var args fetchArgs
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	if err := qgaclient.CheckPutFile(qgaclient.PutFileRequest{Path: args.Src}); err != nil {
		return nil, fmt.Errorf("src: %w", err)
	}
	local := ""
	switch {
	case args.ReturnContent && args.Dest != "":
		return nil, errors.New("return_content puts the file in the result instead of writing it: give dest or return_content, not both")
	case !args.ReturnContent && args.Dest == "":
		return nil, errors.New("dest is required (a path on the machine the module runs on), unless return_content is true")
	case !args.ReturnContent:
		var err error
		if local, err = fetchDestPath(args); err != nil {
			return nil, err
		}
	}

	g, err := openGuest(ctx, args.connectionArgs)
	if err != nil {
		return nil, err
	}
	defer g.Close()

	res := ansible.Result{"changed": false, "src": args.Src, "file": args.Src}
	info, real, err := statFetchSource(ctx, g, args.Src)
	switch {
	case errors.Is(err, qgaclient.ErrNoSuchFile) && !args.FailOnMissing:
		res["msg"] = "the file does not exist in the guest: nothing fetched (fail_on_missing is false)"
		return res, nil
	case err != nil:
		return res, err
	}
	withFacts(res, info)
	res["remote_checksum"] = info.SHA256
	if real != args.Src {
		res["src_resolved"] = real
	}
	if args.ReturnContent {
		if info.Size > maxReturnContent {
			return res, fmt.Errorf("src %q holds %d bytes, more than the %d return_content returns: fetch it to a dest instead", args.Src, info.Size, maxReturnContent)
		}
		data, err := readVerified(ctx, g, real, info)
		if err != nil {
			return res, err
		}
		res["content"], res["encoding"] = base64.StdEncoding.EncodeToString(data), "base64"
		return res, nil
	}

	res["dest"] = local
	same, err := localFileHas(local, info.Size, info.SHA256)
	if err != nil || same {
		return res, err
	}
	res["changed"] = true
	if req.CheckMode {
		res["msg"] = "would write " + local
		return res, nil
	}
	// Streamed to the new local file, hashed on the way: the module's
	// memory stays flat in the file's size.
	err = writeLocalFile(local, info.SHA256, func(w io.Writer) error {
		cctx, cancel := g.transfer(ctx, info.Size)
		defer cancel()
		h := sha256.New()
		if _, err := g.client.ReadFileTo(cctx, real, io.MultiWriter(w, h)); err != nil {
			return fmt.Errorf("reading the file: %w", err)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != info.SHA256 {
			return changedWhileRead(real, got, info.SHA256)
		}
		return nil
	})
	return res, err
}

// changedWhileRead: the bytes read are not what the guest hashed just
// before.
func changedWhileRead(p, got, want string) error {
	return fmt.Errorf("src %q read with sha256 %s, but the guest hashed it as %s just before: it changed while it was read; run again", p, got, want)
}

// fetchDestPath is where the file goes, as ansible.builtin.fetch decides:
// with flat, dest itself (dest ending in "/": src's name in it); without,
// dest/<guest>/<src's path>, where <guest> is the domain, or the agent
// socket's file name (a binary module does not know the inventory name).
func fetchDestPath(args fetchArgs) (string, error) {
	if args.Flat {
		if strings.HasSuffix(args.Dest, "/") {
			return filepath.Join(args.Dest, path.Base(args.Src)), nil
		}
		return args.Dest, nil
	}
	name := args.Domain
	if name == "" {
		name = filepath.Base(args.AgentSocket)
	}
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
		return "", fmt.Errorf("the guest's name %q cannot name a directory under dest: use flat=true and give the whole dest path", name)
	}
	return filepath.Join(args.Dest, name, args.Src), nil
}

// statFetchSource looks at src in the guest, following a symbolic link as
// reading it would; only a regular file is read
// (reading a FIFO or a device would hang or never end).
func statFetchSource(ctx context.Context, g *guest, src string) (*qgaclient.FileInfo, string, error) {
	real := src
	for i := 0; i < 2; i++ {
		cctx, cancel := g.call(ctx)
		info, err := g.client.StatFile(cctx, real, true)
		cancel()
		switch {
		case err != nil:
			return nil, "", fmt.Errorf("looking at src in the guest: %w", err)
		case !info.Exists:
			return nil, "", fmt.Errorf("src %q: %w in the guest", src, qgaclient.ErrNoSuchFile)
		case info.Type == "symbolic link" && i == 0:
			cctx, cancel := g.call(ctx)
			real, err = g.client.ResolveFile(cctx, src)
			cancel()
			if err != nil {
				return nil, "", err
			}
			continue
		case !info.Regular():
			return nil, "", fmt.Errorf("src %q is a %s in the guest: guest_fetch reads regular files only", real, info.Type)
		}
		return info, real, nil
	}
	return nil, "", fmt.Errorf("src %q: the link changed while it was followed; run again", src)
}

// readVerified reads the file and checks it against the sha256 the guest
// computed before.
func readVerified(ctx context.Context, g *guest, p string, info *qgaclient.FileInfo) ([]byte, error) {
	cctx, cancel := g.transfer(ctx, info.Size)
	data, err := g.client.ReadFile(cctx, p)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("reading the file: %w", err)
	}
	if got := sha256Hex(data); got != info.SHA256 {
		return nil, changedWhileRead(p, got, info.SHA256)
	}
	return data, nil
}
