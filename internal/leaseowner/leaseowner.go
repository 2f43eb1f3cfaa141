// Package leaseowner names a process in the database's leases (the sync
// engine's and the token vault's), so that two processes sharing one
// database never take each other's lease for their own.
package leaseowner

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
)

// New returns host, pid and a random suffix: the host and pid tell an
// operator which process holds a lease; the suffix keeps two processes
// apart when a container's host name and pid repeat, or there is no host
// name.
func New() string {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported systems
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}
