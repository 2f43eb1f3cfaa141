// Package durable writes files that must be on disk, not only in the page
// cache, when the write returns: a restored database, a liveness file.
package durable

import (
	"io"
	"os"
)

// Write writes what r holds to path (created with mode 0600, or truncated)
// and syncs it to disk before closing it.
func Write(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	return Fill(f, r)
}

// Fill writes what r holds to the open file f, syncs it to disk and closes
// f, which is closed whatever fails.
func Fill(f *os.File, r io.Reader) error {
	if _, err := f.ReadFrom(r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
