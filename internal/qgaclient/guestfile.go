package qgaclient

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"
)

// Files managed whole: PutFile replaces a guest file atomically with the
// given content, mode and owner; StatFile tells what is there (with the
// guest's own sha256, so a large file need not be read back); RemoveFile
// removes it. All three need guest-exec besides guest-file-*: the agent
// has no rename, chmod, chown or stat. The scripts, and who may write
// where: guestfile_scripts.go.

// FileInfo is what StatFile found at a path.
type FileInfo struct {
	Exists bool
	// Type is stat's name for it: "regular file", "regular empty file",
	// "directory", "symbolic link", ...
	Type         string
	Size         int64
	Mode         uint32 // permission bits, with setuid, setgid and sticky
	UID, GID     int
	Owner, Group string // names; "UNKNOWN" for an id without one
	SHA256       string // hex, for a regular file when asked
}

// Regular says whether the path holds a regular file.
func (f *FileInfo) Regular() bool { return strings.HasPrefix(f.Type, "regular") }

// DefaultFileMode is the mode PutFile gives a new file when none is asked.
const DefaultFileMode = 0o644

// PutFileRequest is a whole file to put in the guest.
type PutFileRequest struct {
	Path    string // absolute
	Content []byte
	// Source, when set, gives the content instead of Content: it is read
	// until EOF and streamed to the guest a chunk at a time (WriteFileFrom),
	// so the host holds one buffer whatever the file's size.
	Source io.Reader
	// ExpectSHA256, when set, is the sha256 (hex) the content must have:
	// a Source that yields anything else (a host file changed since it was
	// hashed) fails with ErrContentChanged before the rename, so the
	// guest's file is left as it was.
	ExpectSHA256 string
	// Mode, when set, is the file's mode; else an existing file keeps its
	// own and a new one gets DefaultFileMode.
	Mode *uint32
	// Owner and Group (names or numeric ids), when set, own the file; else
	// an existing file keeps its owner and group, and a new one belongs to
	// whoever writes it (root, or the owner of the directory: see
	// guestfile_scripts.go).
	Owner, Group string
	// CreateDirectories creates missing directories (root's, mode 755).
	CreateDirectories bool
	// HashAfter adds the written file's sha256, computed in the guest, to
	// PutFileResult.Info: proof of what landed, for a caller that checks.
	HashAfter bool
}

// PutFileResult says what PutFile did.
type PutFileResult struct {
	SHA256  string // of the content (for a Source, of what was read from it)
	Size    int64  // of the content
	Created bool   // there was no file before
	// AsUser is the uid the names were changed as, when the directory is
	// another user's (-1: as root).
	AsUser int
	// Info is the file as it is right after the write (with its sha256
	// when HashAfter is set): what a caller would otherwise ask StatFile
	// for.
	Info *FileInfo
}

// ErrUnsafeDirectory: PutFile or RemoveFile refused a directory that a
// user other than root and the directory's owner could change.
var ErrUnsafeDirectory = errors.New("the directory is not safe to write in as root")

// accountName: what chown accepts and cannot mistake for an option.
var accountName = regexp.MustCompile(`^([0-9]+|[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?)$`)

// checkGuestPath refuses paths the scripts must not get: relative, not
// clean, "/", or holding NUL.
func checkGuestPath(p string) error {
	switch {
	case p == "" || !strings.HasPrefix(p, "/"):
		return fmt.Errorf("path %q is not absolute", p)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("path %q holds a NUL byte", p)
	case path.Clean(p) != p:
		return fmt.Errorf("path %q is not clean: write %q", p, path.Clean(p))
	case p == "/":
		return errors.New(`path "/" is not a file`)
	}
	return nil
}

// CheckPutFile checks a request without the guest: what a plan can refuse.
func CheckPutFile(req PutFileRequest) error {
	if err := checkGuestPath(req.Path); err != nil {
		return err
	}
	if req.Mode != nil && *req.Mode > 0o7777 {
		return fmt.Errorf("mode %#o is not a file mode (at most 07777)", *req.Mode)
	}
	for what, name := range map[string]string{"owner": req.Owner, "group": req.Group} {
		if name != "" && !accountName.MatchString(name) {
			return fmt.Errorf("%s %q is not a user or group name or a numeric id", what, name)
		}
	}
	return nil
}

// randomName is 32 random hex digits (128 bits): names in the guest's
// shared /tmp that no other user can guess in advance.
func randomName() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails on Linux
	return hex.EncodeToString(b[:])
}

// runScript runs one of the file scripts and returns its stdout; a failure
// names the script's job and the path.
func (c *Client) runScript(ctx context.Context, job, p, script string, args ...string) (string, error) {
	if err := c.Require(ctx, "guest-exec", "guest-exec-status"); err != nil {
		return "", withAbout(err, fmt.Sprintf("%s %q (guest-exec is needed for it)", job, p))
	}
	res, err := c.Exec(ctx, ExecRequest{Path: "/bin/sh", Args: append([]string{"-c", script, "qga-file"}, args...), ownScript: true})
	if err != nil {
		return "", withAbout(err, fmt.Sprintf("%s %q", job, p))
	}
	if res.ExitCode != 0 || res.Signal != 0 {
		return "", newError(c.t.Target(), "guest-exec", ErrAgentFailed,
			fmt.Errorf("%s %q failed (exit %d): %s", job, p, res.ExitCode, strings.TrimSpace(string(res.Stderr))))
	}
	return string(res.Stdout), nil
}

// StatFile tells what is at p, with the sha256 of a regular file when hash
// is set (computed in the guest).
func (c *Client) StatFile(ctx context.Context, p string, hash bool) (*FileInfo, error) {
	if err := checkGuestPath(p); err != nil {
		return nil, newError(c.t.Target(), "guest-exec", nil, err)
	}
	h := ""
	if hash {
		h = "hash"
	}
	out, err := c.runScript(ctx, "looking at", p, statFileScript, p, h)
	if err != nil {
		return nil, err
	}
	info, err := parseStat(out)
	if err != nil {
		return nil, newError(c.t.Target(), "guest-exec", ErrAgentFailed, fmt.Errorf("looking at %q: %w", p, err))
	}
	return info, nil
}

func parseStat(out string) (*FileInfo, error) {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	switch {
	case len(lines) == 1 && lines[0] == "absent":
		return &FileInfo{}, nil
	case len(lines) == 1 && lines[0] == "link":
		return &FileInfo{Exists: true, Type: "symbolic link"}, nil
	case len(lines) < 7:
		return nil, fmt.Errorf("unexpected answer %q", out)
	}
	size, err1 := strconv.ParseInt(lines[1], 10, 64)
	mode, err2 := strconv.ParseUint(lines[2], 8, 32)
	uid, err3 := strconv.Atoi(lines[3])
	gid, err4 := strconv.Atoi(lines[4])
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return nil, fmt.Errorf("unexpected answer %q: %w", out, err)
	}
	info := &FileInfo{Exists: true, Type: lines[0], Size: size, Mode: uint32(mode), UID: uid, GID: gid, Owner: lines[5], Group: lines[6]}
	if len(lines) > 7 {
		sum, _, _ := strings.Cut(lines[7], " ")
		if len(sum) != 64 {
			return nil, fmt.Errorf("unexpected sha256 line %q", lines[7])
		}
		info.SHA256 = sum
	}
	return info, nil
}

// ancestor is the directory n levels above dir.
func ancestor(dir string, n int) string {
	for ; n > 0 && dir != "/"; n-- {
		dir = path.Dir(dir)
	}
	return dir
}

// refusedLine is the error for a trust walk's "refuse WHY LEVEL" line (see
// trustWalk), split into fields, about a file in dir; nil for any other
// line.
func refusedLine(f []string, dir string) error {
	if len(f) != 3 || f[0] != "refuse" {
		return nil
	}
	n, _ := strconv.Atoi(f[2])
	return refusal(ancestor(dir, n), f[1])
}

// refusal explains a refused directory and what to change.
func refusal(dir, why string) error {
	switch why {
	case "writable-by-group-or-others":
		why = "is writable by a group or by everyone (and is not a root-owned sticky directory like /tmp)"
	case "owned-by-two-users":
		why = "belongs to one user while a directory below it belongs to another"
	case "owner-has-no-account":
		why = "belongs to a uid that has no account in the guest"
	}
	return fmt.Errorf("%w: directory %q %s, so another user could redirect a write made there; "+
		"make it writable by its owner only, or put the file elsewhere", ErrUnsafeDirectory, dir, why)
}

// smallPutLimit: content up to this size is staged in the guest's /tmp and
// put in place by one script run (putFileScript install), as the scripts
// cost a small file more time than its bytes. Larger content goes where a
// first run (plan) says, so the guest never holds two copies of it and
// the checks fail before a long upload, not after.
const smallPutLimit = 4 << 20

// errStageUnsafe: the guest's /tmp is not root's alone (not a root-owned
// sticky directory), so a small file is not staged there.
var errStageUnsafe = errors.New("the guest's /tmp is not a safe place to stage the content")

// PutFile replaces the file at req.Path with req.Content (or what
// req.Source yields), atomically: the content goes to a new file in the
// same directory, which gets its mode and owner and is then renamed over
// the old one, so a reader in the guest sees the old file or the new one,
// never part of one, and a failure leaves the old file as it was (and no
// temporary file, unless the agent died and cannot remove it).
func (c *Client) PutFile(ctx context.Context, req PutFileRequest) (*PutFileResult, error) {
	if err := CheckPutFile(req); err != nil {
		return nil, newError(c.t.Target(), "guest-file-write", nil, err)
	}
	if err := c.Require(ctx, "guest-file-open", "guest-file-write", "guest-file-close"); err != nil {
		return nil, withAbout(err, fmt.Sprintf("writing %q", req.Path))
	}
	// Before anything is written: content staged in a guest that blocks
	// guest-exec could not be put in place, nor removed.
	if err := c.Require(ctx, "guest-exec", "guest-exec-status"); err != nil {
		return nil, withAbout(err, fmt.Sprintf("writing %q (guest-exec is needed for it)", req.Path))
	}
	small, err := takeSmall(&req)
	if err != nil {
		return nil, newError(c.t.Target(), "guest-file-write", nil, fmt.Errorf("reading the content for %q: %w", req.Path, err))
	}
	if small {
		res, err := c.putSmall(ctx, req)
		if !errors.Is(err, errStageUnsafe) {
			return res, err
		}
	}
	return c.putLarge(ctx, req)
}

// takeSmall says whether the content is at most smallPutLimit bytes; a
// small Source is read into req.Content, and a large one is left to stream
// (what was read of it goes first).
func takeSmall(req *PutFileRequest) (bool, error) {
	if req.Source == nil {
		return len(req.Content) <= smallPutLimit, nil
	}
	head, err := io.ReadAll(io.LimitReader(req.Source, smallPutLimit+1))
	if err != nil {
		return false, err
	}
	if len(head) > smallPutLimit {
		req.Source = io.MultiReader(bytes.NewReader(head), req.Source)
		return false, nil
	}
	req.Content, req.Source = head, nil
	return true, nil
}

// putSmall stages the content in the guest's /tmp (the agent creates the
// file, exclusively, mode 600, under a name no one can guess) and puts it
// in place with one script run.
func (c *Client) putSmall(ctx context.Context, req PutFileRequest) (*PutFileResult, error) {
	stage := "/tmp/.qga-put-" + randomName()
	res := &PutFileResult{}
	if err := c.putContent(ctx, stage, req, res); err != nil {
		return nil, c.removeAfterFailure(ctx, stage, err)
	}
	tmp := path.Join(path.Dir(req.Path), ".qga-put-"+randomName())
	return res, c.installPut(ctx, req, stage, tmp, stage, res)
}

// putLarge asks the guest where the content may go (plan), streams it
// there and puts it in place (install).
func (c *Client) putLarge(ctx context.Context, req PutFileRequest) (*PutFileResult, error) {
	tmp := path.Join(path.Dir(req.Path), ".qga-put-"+randomName())
	staging := "/tmp/qga-put-" + randomName()
	out, err := c.runScript(ctx, "preparing to write", req.Path, putFileScript, putArgs(req, "plan", staging)...)
	if err != nil {
		return nil, err
	}
	content, cleanup := tmp, tmp
	switch strings.TrimSpace(out) {
	case "root":
		// The agent creates tmp itself (exclusively: its name is new and
		// unguessable) in a directory only root can change.
	case "user":
		// Another user may change names there: root keeps the content in
		// its own staging directory, and that user does the rest.
		content, cleanup = staging+"/f", staging
	default:
		return nil, c.putStopped(req, out)
	}
	res := &PutFileResult{}
	if err := c.putContent(ctx, content, req, res); err != nil {
		return nil, c.removeAfterFailure(ctx, cleanup, err)
	}
	return res, c.installPut(ctx, req, content, tmp, cleanup, res)
}

// putArgs are putFileScript's arguments.
func putArgs(req PutFileRequest, phase string, more ...string) []string {
	mk, mode := "0", ""
	if req.CreateDirectories {
		mk = "1"
	}
	if req.Mode != nil {
		mode = fmt.Sprintf("%04o", *req.Mode)
	}
	return append([]string{phase, req.Path, path.Dir(req.Path), mk, mode, req.Owner, req.Group}, more...)
}

// installPut puts the content of f in place through tmp (see
// putFileScript) and fills in res; cleanup is gone afterwards.
func (c *Client) installPut(ctx context.Context, req PutFileRequest, f, tmp, cleanup string, res *PutFileResult) error {
	hash := ""
	if req.HashAfter {
		hash = "hash"
	}
	out, err := c.runScript(ctx, "installing", req.Path, putFileScript, putArgs(req, "install", f, tmp, cleanup, hash)...)
	if err != nil {
		// The script removes cleanup itself when it runs; whether it ran
		// is unknown here.
		return c.removeAfterFailure(ctx, cleanup, err)
	}
	first, rest, _ := strings.Cut(out, "\n")
	var what string
	if _, err := fmt.Sscanf(first, "done %s %d", &what, &res.AsUser); err != nil {
		return c.putStopped(req, out)
	}
	res.Created = what == "absent"
	if res.Info, err = parseStat(rest); err != nil {
		return newError(c.t.Target(), "guest-exec", ErrAgentFailed, fmt.Errorf("looking at %q after writing it: %w", req.Path, err))
	}
	return nil
}

// putStopped is the error for a putFileScript run that did not go on.
func (c *Client) putStopped(req PutFileRequest, out string) error {
	p, dir := req.Path, path.Dir(req.Path)
	f := strings.Fields(out)
	err := refusedLine(f, dir)
	switch {
	case err != nil:
	case len(f) == 1 && f[0] == "stage-unsafe":
		return errStageUnsafe
	case len(f) == 1 && f[0] == "nodir":
		err = fmt.Errorf("directory %q does not exist: create it first, or ask for missing directories to be created", dir)
	case len(f) == 1 && f[0] == "dir":
		err = errors.New("it is a directory")
	case len(f) == 2 && f[0] == "cannot-give":
		err = fmt.Errorf("directory %q belongs to uid %s, so qga writes there as that user, who cannot give the file to %q: "+
			"leave owner unset, or put the file in a directory only root can change", dir, f[1], req.Owner)
	case len(f) == 3 && f[0] == "foreign-file":
		err = fmt.Errorf("it belongs to uid %s, but directory %q belongs to uid %s, so qga writes there as that user and the file would become theirs: "+
			"set owner to that user to accept it", f[1], dir, f[2])
	default:
		return newError(c.t.Target(), "guest-exec", ErrAgentFailed, fmt.Errorf("writing %q: unexpected answer %q", p, out))
	}
	e := newError(c.t.Target(), "guest-exec", nil, err)
	e.About = fmt.Sprintf("file %q", p)
	return e
}

// putContent writes the request's content to tmp, a new file of ours, and
// records its sha256 and size in res. A Source is streamed and hashed on
// the way. A failure says that the file itself was not touched: the caller
// removes tmp, and the rename never happens.
func (c *Client) putContent(ctx context.Context, tmp string, req PutFileRequest, res *PutFileResult) error {
	h := sha256.New()
	var err error
	if req.Source != nil {
		res.Size, err = c.WriteFileFrom(ctx, tmp, io.TeeReader(req.Source, h))
	} else {
		h.Write(req.Content)
		res.Size = int64(len(req.Content))
		err = c.WriteFile(ctx, tmp, req.Content)
	}
	if err != nil {
		return fmt.Errorf("the upload broke off before the new content was complete; %q is left as it was (the content goes to a temporary file first): %w", req.Path, err)
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	if req.ExpectSHA256 != "" && res.SHA256 != req.ExpectSHA256 {
		return fmt.Errorf("%w: it had sha256 %s when it was hashed, but %s (%d bytes) when it was sent; %q is left as it was",
			ErrContentChanged, req.ExpectSHA256, res.SHA256, res.Size, req.Path)
	}
	return nil
}

// SHA256Of is the sha256 (hex) and length of what r yields, read a block at
// a time: the hash PutFile computes of a Source, for a caller to take
// before (PutFileRequest.ExpectSHA256).
func SHA256Of(r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// ErrContentChanged: a PutFile source changed between its hashing and its
// upload (PutFileRequest.ExpectSHA256).
var ErrContentChanged = errors.New("the content changed while it was copied")

// removeAfterFailure removes a temporary file or staging directory of ours
// on an error path, whatever ctx says, and returns err; when the removal
// fails too (the agent is gone), err also says what is left in the guest.
func (c *Client) removeAfterFailure(ctx context.Context, p string, err error) error {
	ctx, cancel := c.bounded(context.WithoutCancel(ctx))
	defer cancel()
	if _, rmErr := c.runScript(ctx, "removing", p, guestFilePath+`rm -rf -- "$1"`, p); rmErr != nil {
		return fmt.Errorf("%w; the temporary %q stays in the guest, as removing it failed too (remove it by hand): %w", err, p, rmErr)
	}
	return err
}

// RemoveFile removes the file (or symlink) at p; a missing file is no
// error (removed says whether there was one). A directory is refused.
func (c *Client) RemoveFile(ctx context.Context, p string) (removed bool, err error) {
	if err := checkGuestPath(p); err != nil {
		return false, newError(c.t.Target(), "guest-exec", nil, err)
	}
	out, err := c.runScript(ctx, "removing", p, removeFileScript, p, path.Dir(p))
	if err != nil {
		return false, err
	}
	f := strings.Fields(out)
	if err := refusedLine(f, path.Dir(p)); err != nil {
		return false, newError(c.t.Target(), "guest-exec", nil, err)
	}
	switch {
	case len(f) == 1 && f[0] == "removed":
		return true, nil
	case len(f) == 1 && f[0] == "absent":
		return false, nil
	case len(f) == 1 && f[0] == "dir":
		return false, newError(c.t.Target(), "guest-exec", nil, fmt.Errorf("%q is a directory: qga removes files only", p))
	}
	return false, newError(c.t.Target(), "guest-exec", ErrAgentFailed, fmt.Errorf("removing %q: unexpected answer %q", p, out))
}

// ReadFileLimited reads a whole file of at most limit bytes; a larger one
// is an error that names the file and its limit (nothing of it is kept).
func (c *Client) ReadFileLimited(ctx context.Context, p string, limit int) ([]byte, error) {
	data, more, err := c.readFileUpTo(ctx, p, limit)
	if err != nil {
		return nil, err
	}
	if more {
		return nil, newError(c.t.Target(), "guest-file-read", nil, fmt.Errorf("file %q is larger than %d bytes", p, limit))
	}
	return data, nil
}
