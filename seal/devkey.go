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
	"strings"

	"github.com/stockroom/stockroom/internal/secretfile"
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
	// If another process created the file first, use its key rather than
	// overwrite it and strand the rows it sealed.
	if err := secretfile.Create(path, []byte(spec+"\n")); errors.Is(err, fs.ErrExist) {
		spec, err = readDevKey(path)
		return spec, false, err
	} else if err != nil {
		return "", false, fmt.Errorf("seal: creating %s: %w", path, err)
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
	if err := secretfile.CheckPrivate(path, info); err != nil {
		return "", fmt.Errorf("seal: %w", err)
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
