// The server's host key: created once, then the same key on every start, so
// clients' known_hosts entries stay valid.
package sshserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/secretfile"
)

// LoadOrCreateHostKey reads the host key at path, or creates an ed25519 key
// there (mode 0600) when no file exists. A key readable by group or others
// is refused with the chmod that fixes it. An existing file that cannot be read
// or parsed is an error, never a reason to make a new key: a new key would
// change the server's identity, and every client would see a host key
// mismatch warning. created tells whether the key is new.
func LoadOrCreateHostKey(path string) (signer gossh.Signer, created bool, err error) {
	if path == "" {
		return nil, false, errors.New("ssh host key: no path configured")
	}
	if info, err := os.Stat(path); err == nil {
		// Whoever can read the key can pose as this server; refusing makes
		// the operator fix it (and consider the key exposed) instead of
		// running on quietly.
		if err := secretfile.CheckPrivate(path, info); err != nil {
			return nil, false, fmt.Errorf("ssh host key %w", err)
		}
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		signer, err := gossh.ParsePrivateKey(data)
		if err != nil {
			return nil, false, fmt.Errorf("ssh host key %s is not a usable private key (%v): fix or restore it; "+
				"deleting it makes a new key and every client will warn that the server's identity changed", path, err)
		}
		return signer, false, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, false, fmt.Errorf("ssh host key %s cannot be read: %w", path, err)
	}

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, fmt.Errorf("ssh host key: generate: %w", err)
	}
	block, err := gossh.MarshalPrivateKey(priv, "stockroom host key")
	if err != nil {
		return nil, false, fmt.Errorf("ssh host key: encode: %w", err)
	}
	if err := secretfile.Create(path, pem.EncodeToMemory(block)); errors.Is(err, fs.ErrExist) {
		return nil, false, fmt.Errorf("ssh host key %s: created by another process while starting: start again", path)
	} else if err != nil {
		return nil, false, fmt.Errorf("ssh host key %s: %w", path, err)
	}
	signer, err = gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, false, fmt.Errorf("ssh host key: %w", err)
	}
	return signer, true, nil
}
