package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
	"time"

	"github.com/qgatools/terraform-provider-qga/internal/ansible"

	"github.com/qgatools/terraform-provider-qga/internal/guestrules"
	"github.com/qgatools/terraform-provider-qga/internal/qgaclient"
)

// guest_copy puts one file into the guest, as ansible.builtin.copy puts
// one on a host: from src (a file on the machine the module runs on) or
// content, with mode, owner and group. Nothing is written when the guest's
// file already has the content (compared by sha256, computed in the guest),
// the mode, the owner and the group asked for. The write is qgaclient's
// PutFile: atomic, and refused in directories other users could change.

type copyArgs struct {
	connectionArgs    `mapstructure:",squash"`
	Src               string  `mapstructure:"src"`
	Content           *string `mapstructure:"content"`
	Dest              string  `mapstructure:"dest"`
	Mode              any     `mapstructure:"mode"`
	Owner             string  `mapstructure:"owner"`
	Group             string  `mapstructure:"group"`
	CreateDirectories bool    `mapstructure:"create_directories"`
	Backup            bool    `mapstructure:"backup"`
	Force             bool    `mapstructure:"force"`
}

var guestCopyModule = &ansible.Module{
	Name: "guest_copy",
	Spec: withConnectionOptions(ansible.ArgSpec{
		Options: []ansible.Option{
			{Name: "src", Type: ansible.TypePath},
			// Always secret, as in ansible.builtin.copy: files put this way
			// are often keys, tokens and passwords.
			{Name: "content", Type: ansible.TypeStr, NoLog: true},
			{Name: "dest", Type: ansible.TypeStr, Required: true},
			{Name: "mode", Type: ansible.TypeRaw},
			{Name: "owner", Type: ansible.TypeStr},
			{Name: "group", Type: ansible.TypeStr},
			{Name: "create_directories", Type: ansible.TypeBool, Default: false},
			{Name: "backup", Type: ansible.TypeBool, Default: false},
			{Name: "force", Type: ansible.TypeBool, Default: true},
		},
		MutuallyExclusive: [][]string{{"src", "content"}},
		RequiredOneOf:     [][]string{{"src", "content"}},
	}),
	Run: runGuestCopy,
}

// copyJob is a validated task: what to write where.
type copyJob struct {
	put    qgaclient.PutFileRequest
	secret bool // the content came from the no_log content option
	// src is the local file whose content goes to the guest, streamed
	// (put.Content is then empty): "" with content.
	src string
	// sum and size are the content's sha256 (hex) and length; for src,
	// as hashed when the task started (the upload must match them).
	sum  string
	size int64
	// srcName is src's file name: when dest is a directory in the guest,
	// the file goes into it under that name. "" with content.
	srcName string
}

// newCopyJob checks the task without the guest: the same rules as the
// provider's qga_guest_file (qgaclient.CheckPutFile).
func newCopyJob(args copyArgs) (*copyJob, error) {
	job := &copyJob{secret: args.Content != nil}
	if args.Src != "" {
		job.srcName = path.Base(args.Src)
	}
	if args.Content != nil {
		job.put.Content = []byte(*args.Content)
		job.sum, job.size = sha256Hex(job.put.Content), int64(len(job.put.Content))
	} else {
		sum, size, err := hashLocalFile("src", args.Src)
		if err != nil {
			return nil, err
		}
		job.src, job.sum, job.size = args.Src, sum, size
	}
	dest := args.Dest
	if strings.HasSuffix(dest, "/") && dest != "/" {
		if args.Src == "" {
			return nil, fmt.Errorf("dest %q ends with a slash, a directory: with content, give the file's full path", dest)
		}
		dest += job.srcName
	}
	mode, err := parseFileMode(args.Mode)
	if err != nil {
		return nil, err
	}
	job.put.Path, job.put.Mode = dest, mode
	job.put.Owner, job.put.Group = args.Owner, args.Group
	job.put.CreateDirectories = args.CreateDirectories
	if err := qgaclient.CheckPutFile(job.put); err != nil {
		return nil, fmt.Errorf("dest: %w", err)
	}
	return job, nil
}

func runGuestCopy(ctx context.Context, req *ansible.Request) (ansible.Result, error) {
	var args copyArgs
	if err := req.Decode(&args); err != nil {
		return nil, err
	}
	job, err := newCopyJob(args)
	if err != nil {
		return nil, err
	}
	g, err := openGuest(ctx, args.connectionArgs)
	if err != nil {
		return nil, err
	}
	defer g.Close()

	before, err := job.statDest(ctx, g)
	if err != nil {
		return nil, err
	}
	res := ansible.Result{"dest": job.put.Path, "changed": false}
	if args.Src != "" {
		res["src"] = args.Src
	}
	if before.Exists && !args.Force {
		res["msg"] = "dest exists and force is false: left as it is"
		return withFacts(res, before), nil
	}
	changes := job.changes(before)
	res["changed"] = len(changes) > 0
	if req.Diff && len(changes) > 0 {
		res["diff"] = job.diff(ctx, g, before, changes)
	}
	if len(changes) == 0 {
		return withFacts(res, before), nil
	}
	res["checksum"] = job.sum
	res["size"] = job.size
	if req.CheckMode {
		res["msg"] = "would change: " + strings.Join(changes, ", ")
		return res, nil
	}

	if args.Backup && before.Regular() {
		backup := fmt.Sprintf("%s.%d.%s~", job.put.Path, os.Getpid(), time.Now().Format("2006-01-02@15:04:05"))
		cctx, cancel := g.call(ctx)
		err := g.client.BackupFile(cctx, job.put.Path, backup)
		cancel()
		if err != nil {
			return res, fmt.Errorf("keeping a backup before replacing the file (nothing was changed): %w", err)
		}
		res["backup_file"] = backup
	}
	// The result is what the guest has right after the write, read back
	// by the write itself, not what was asked.
	after, err := job.upload(ctx, g)
	if err != nil {
		return res, err
	}
	res["msg"] = "changed: " + strings.Join(changes, ", ")
	withFacts(res, after)
	if after.SHA256 != job.sum {
		return res, fmt.Errorf("the guest's file has sha256 %s after the write, not %s: something else changed it meanwhile", after.SHA256, job.sum)
	}
	return res, nil
}

// upload writes the file: content from memory, src streamed from its file
// (the module's memory stays flat in the file's size), refused before the
// rename when src no longer has the sha256 it had when the task started.
// It returns the file as the guest has it after the write, hashed there.
func (job *copyJob) upload(ctx context.Context, g *guest) (*qgaclient.FileInfo, error) {
	put := job.put
	put.HashAfter = true
	if job.src != "" {
		f, err := os.Open(job.src)
		if err != nil {
			return nil, fmt.Errorf("src: %w (the path is on the machine the module runs on)", err)
		}
		defer func() { _ = f.Close() }() // read only
		put.Source, put.ExpectSHA256 = f, job.sum
	}
	cctx, cancel := g.transfer(ctx, job.size)
	defer cancel()
	res, err := g.client.PutFile(cctx, put)
	if err != nil {
		if errors.Is(err, qgaclient.ErrContentChanged) {
			return nil, fmt.Errorf("src %q changed while the task ran: %w; run it again once the file stays the same", job.src, err)
		}
		return nil, fmt.Errorf("writing the file: %w", err)
	}
	return res.Info, nil
}

// statDest looks at dest in the guest. When dest is a directory and the
// file came from src, the file goes into it under src's name, as
// ansible.builtin.copy does.
func (job *copyJob) statDest(ctx context.Context, g *guest) (*qgaclient.FileInfo, error) {
	for {
		cctx, cancel := g.call(ctx)
		info, err := g.client.StatFile(cctx, job.put.Path, true)
		cancel()
		switch {
		case err != nil:
			return nil, fmt.Errorf("looking at dest in the guest: %w", err)
		case info.Exists && info.Type == "directory" && job.srcName != "":
			job.put.Path = path.Join(job.put.Path, job.srcName)
			job.srcName = "" // once: a directory there too is an error
			if err := qgaclient.CheckPutFile(job.put); err != nil {
				return nil, fmt.Errorf("dest: %w", err)
			}
			continue
		case info.Exists && info.Type == "directory":
			return nil, fmt.Errorf("dest %q is a directory in the guest: give the file's full path", job.put.Path)
		case info.Exists && !info.Regular() && info.Type != "symbolic link":
			return nil, fmt.Errorf("dest %q is a %s in the guest, not a regular file: guest_copy replaces regular files and symbolic links only", job.put.Path, info.Type)
		}
		return info, nil
	}
}

// changes lists what differs between the guest's file and the task: empty
// when nothing has to be written.
func (job *copyJob) changes(before *qgaclient.FileInfo) []string {
	p := job.put
	switch {
	case !before.Exists:
		return []string{"created"}
	case !before.Regular():
		return []string{"the symbolic link replaced by a file (its target is left alone)"}
	}
	var out []string
	if before.SHA256 != job.sum {
		out = append(out, "content")
	}
	if p.Mode != nil && *p.Mode != before.Mode {
		out = append(out, fmt.Sprintf("mode %s -> %s", guestrules.FormatFileMode(before.Mode), guestrules.FormatFileMode(*p.Mode)))
	}
	if p.Owner != "" && !guestrules.SameAccount(p.Owner, before.Owner, before.UID) {
		out = append(out, fmt.Sprintf("owner %s -> %s", before.Owner, p.Owner))
	}
	if p.Group != "" && !guestrules.SameAccount(p.Group, before.Group, before.GID) {
		out = append(out, fmt.Sprintf("group %s -> %s", before.Group, p.Group))
	}
	return out
}

// withFacts adds the file's attributes to a result.
func withFacts(res ansible.Result, info *qgaclient.FileInfo) ansible.Result {
	for k, v := range fileFacts(info) {
		res[k] = v
	}
	return res
}
