//go:build unix

package main

import "syscall"

// privateFiles makes every file and directory this process creates (the
// database and its -wal and -shm, keys, backups) private to its user,
// whatever umask it was started with: they hold buyers' details and
// sealed tokens.
func privateFiles() { syscall.Umask(0o077) }
