// The data directory's permissions: it holds buyers' names, addresses and
// messages, sealed Etsy tokens and the keys, so only the server's own user
// may read it.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Modes of the data directory (and any directory below it) and of every
// file in it.
const (
	DataDirMode  os.FileMode = 0o700
	DataFileMode os.FileMode = 0o600
)

// Correction is one permission PrepareDataDir tightened.
type Correction struct {
	Path     string
	From, To os.FileMode
}

func (c Correction) String() string {
	return fmt.Sprintf("%s %04o -> %04o", c.Path, c.From, c.To)
}

// PrepareDataDir creates dir (mode 0700) when missing, and otherwise takes
// group and other permissions away from it and from every directory and
// regular file below it, returning what it changed so the caller can log
// it. Symbolic links are not followed: what they point to is the
// operator's choice, outside the data directory. Files an operator made
// stricter (0400) stay so.
func PrepareDataDir(dir string) ([]Correction, error) {
	if err := os.MkdirAll(dir, DataDirMode); err != nil {
		return nil, &Error{Setting: "STOCKROOM_DATA_DIR", Reason: err.Error()}
	}
	var fixed []Correction
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		perm := info.Mode().Perm()
		if perm&0o077 == 0 {
			return nil
		}
		want := perm &^ 0o077
		if d.IsDir() {
			want |= DataDirMode
		}
		if err := os.Chmod(path, want); err != nil {
			return err
		}
		fixed = append(fixed, Correction{Path: path, From: perm, To: want})
		return nil
	})
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			return fixed, &Error{Setting: "STOCKROOM_DATA_DIR", Reason: fmt.Sprintf("cannot make %s private: %v", pe.Path, pe.Err)}
		}
		return fixed, &Error{Setting: "STOCKROOM_DATA_DIR", Reason: err.Error()}
	}
	return fixed, nil
}
