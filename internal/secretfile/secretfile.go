// Package secretfile keeps the files a server creates for itself and that
// only it may read: the SSH host key and the development encryption key.
// Both are made once, on first start, and refused later when other users
// can read them.
package secretfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/stockroom/stockroom/internal/durable"
)

// ErrShared means other users can read a secret file: whoever can read it
// holds the secret.
var ErrShared = errors.New("accessible by other users")

// CheckPrivate refuses a secret file that group or others may read, with
// the chmod that fixes it: running on would leave the secret exposed
// without anyone knowing. (Windows has no such mode bits.)
func CheckPrivate(path string, info fs.FileInfo) error {
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is %w (mode %04o); run: chmod 600 %s", path, ErrShared, info.Mode().Perm(), path)
	}
	return nil
}

// Create writes data to a new file at path (mode 0600, its directory made
// 0700 when missing), only if none exists: an error wrapping fs.ErrExist
// when another process made it first, whose secret must then be used, not
// overwritten. The data goes to a temporary file that is synced and then
// hard-linked into place, so a crash never leaves a half-written secret
// behind.
func Create(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".secret-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := durable.Fill(tmp, bytes.NewReader(data)); err != nil {
		return err
	}
	err = link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		return err
	}
	// A file system without hard links (some network and FUSE mounts,
	// FAT) refuses the link: create the file exclusively in place
	// instead. A crash in the middle can then leave it short, which the
	// key's parser refuses at the next start, naming the file, rather
	// than a secret silently replaced.
	return createInPlace(path, data)
}

// link is os.Link; a test replaces it to play a file system without hard
// links.
var link = os.Link

// createInPlace writes data to a new file at path, only if none exists,
// synced before it returns.
func createInPlace(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if err := durable.Fill(f, bytes.NewReader(data)); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}
