// The server's host key: created once, then the same key on every start, so
// clients' known_hosts entries stay valid.
package sshserver

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/durable"
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
	if info, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		// Whoever can read the key can pose as this server; refusing makes
		// the operator fix it (and consider the key exposed) instead of
		// running on quietly.
		return nil, false, fmt.Errorf("ssh host key %s is accessible by other users (mode %04o); run: chmod 600 %s",
			path, info.Mode().Perm(), path)
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
	if err := writeNew(path, pem.EncodeToMemory(block)); err != nil {
		return nil, false, fmt.Errorf("ssh host key %s: %w", path, err)
	}
	signer, err = gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, false, fmt.Errorf("ssh host key: %w", err)
	}
	return signer, true, nil
}

// writeNew writes data to path only if path does not exist yet. The data goes
// to a temporary file first and is then hard-linked into place, so a crash
// never leaves a half-written key behind and two processes starting at once
// cannot overwrite each other's key.
func writeNew(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".hostkey-*")
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
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return errors.New("created by another process while starting: start again")
		}
		return err
	}
	return nil
}
