package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockFile in the data dir is held (flock) by the process that owns the
// SQLite database: the server while it runs, and restore or migrate while
// they change it, so neither runs under the other. The kernel drops the
// lock when its holder dies, so a crash never leaves it stuck.
const lockFile = "stockroom.lock"

var errDataDirBusy = errors.New("another stockroom process is using this data directory")

// lockDataDir takes the data dir's lock, or fails with errDataDirBusy.
func lockDataDir(dir string) (release func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s is locked): stop the server first", errDataDirBusy, dir)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN) // closing the file releases the lock anyway
		f.Close()
	}, nil
}
