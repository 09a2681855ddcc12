package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The local side of guest_fetch, on the machine the module runs on. dest is
// written by renaming a new file over it: a reader never sees half a file,
// a failure leaves the old one. A symbolic link at dest is refused, never
// followed nor replaced: it may lead anywhere, and replacing it would drop
// what the user made.

// newLocalFileMode is the mode of a dest that did not exist: what is
// fetched from a guest is often a secret (a key, a token), so only its
// owner may read it. An existing dest keeps its mode.
const newLocalFileMode = 0o600

// localFileHas tells whether dest already is a regular file of that size
// and sha256. A missing dest is no error; a link, a directory or another
// kind of file there is.
func localFileHas(dest string, size int64, sum string) (bool, error) {
	fi, err := os.Lstat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("dest: %w", err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return false, fmt.Errorf("dest %q is a symbolic link: guest_fetch does not write through links; give the path it leads to, or remove it", dest)
	case fi.IsDir():
		return false, fmt.Errorf("dest %q is a directory: with flat=true give the file's path, or end dest with a slash", dest)
	case !fi.Mode().IsRegular():
		return false, fmt.Errorf("dest %q is not a regular file", dest)
	case fi.Size() != size:
		return false, nil // no need to hash it
	}
	have, _, err := hashLocalFile("dest", dest)
	if err != nil {
		return false, err
	}
	return have == sum, nil
}

// writeLocalFile replaces dest with what write writes, through a new file
// in the same directory (created with missing directories, mode 0755),
// then checks what is there now against sum.
func writeLocalFile(dest string, sum string, write func(io.Writer) error) error {
	dir := filepath.Dir(dest)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("dest: creating its directory: %w", err)
	}
	mode := fs.FileMode(newLocalFileMode)
	if fi, err := os.Lstat(dest); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}
	if err := renameNewFile(dir, dest, mode, write); err != nil {
		return fmt.Errorf("dest: %w", err)
	}
	// Hash what is there now: the checksum reported is the file's.
	got, _, err := hashLocalFile("dest", dest)
	if err != nil {
		return fmt.Errorf("reading it back: %w", err)
	}
	if got != sum {
		return fmt.Errorf("dest %q has sha256 %s after the write, not %s: something else changed it meanwhile", dest, got, sum)
	}
	return nil
}

// renameNewFile has write fill a new file in dir (a name of its own, made
// exclusively) and renames it to dest; on any failure the new file goes.
func renameNewFile(dir, dest string, mode fs.FileMode, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(dir, ".qga-fetch-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
