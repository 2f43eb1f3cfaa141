// Key generation for operators and the development key file used when no
// keys are configured.
package seal

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// DevKeyFile is the name of the generated key file inside the data directory.
const DevKeyFile = "dev-encryption.key"

// devKeyID is the key id written to the development key file.
const devKeyID = "dev"

// GenerateKeySpec returns a new "id:base64key" entry with a random 32-byte
// key, ready to be put first in STOCKROOM_ENCRYPTION_KEYS.
func GenerateKeySpec(id string) (string, error) {
	if err := validateID(id); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("seal: reading random key: %w", err)
	}
	defer clear(key)
	return id + ":" + base64.StdEncoding.EncodeToString(key), nil
}

// LoadOrCreateDevKey returns the key spec stored in <dataDir>/dev-encryption.key,
// generating the file (mode 0600) on first use, so Stockroom can run without
// configuration. created reports whether the file was written by this call;
// the caller should warn loudly that a key on the same disk as the database
// protects little. A key file readable by group or others is refused rather
// than used.
func LoadOrCreateDevKey(dataDir string) (spec string, created bool, err error) {
	path := filepath.Join(dataDir, DevKeyFile)
	spec, err = readDevKey(path)
	if err == nil {
		return spec, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", false, err
	}

	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, fmt.Errorf("seal: creating data directory: %w", err)
	}
	spec, err = GenerateKeySpec(devKeyID)
	if err != nil {
		return "", false, err
	}
	// O_EXCL: if another process created the file first, use its key rather
	// than overwrite it and strand the rows it sealed.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		spec, err = readDevKey(path)
		return spec, false, err
	}
	if err != nil {
		return "", false, fmt.Errorf("seal: creating %s: %w", path, err)
	}
	_, werr := f.WriteString(spec + "\n")
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		_ = os.Remove(path) // best effort: a half-written key must not be read next start
		return "", false, fmt.Errorf("seal: writing %s: %w", path, werr)
	}
	return spec, true, nil
}

func readDevKey(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		return "", fmt.Errorf("seal: %w", err)
	}
	if !info.Mode().IsRegular() {
		return "", fmt.Errorf("seal: %s is not a regular file", path)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("seal: %s is accessible by other users (mode %04o); run: chmod 600 %s",
			path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	spec := strings.TrimSpace(string(b))
	if _, err := ParseKeyring(spec); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return spec, nil
}
