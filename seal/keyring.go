// Keyring parsing and the AES-256-GCM seal/open operations.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
)

// Sentinel errors returned (wrapped) by [Keyring.Open].
var (
	// ErrUnknownKey means the ciphertext names a key id that is not in the
	// keyring: a key was removed from STOCKROOM_ENCRYPTION_KEYS while rows
	// sealed with it remain.
	ErrUnknownKey = errors.New("seal: unknown key id")
	// ErrDecrypt means the ciphertext is malformed, was tampered with, or
	// belongs to different associated data (another row or column).
	ErrDecrypt = errors.New("seal: decryption failed")
)

const (
	// formatV1 is the first byte of every sealed value, so the layout can
	// change later without guessing.
	formatV1 = 1
	// KeySize is the length of every key in bytes (AES-256).
	KeySize   = 32
	nonceSize = 12
	maxIDLen  = 16
)

// Keyring holds the keys that open sealed values; the first key parsed is
// the primary and seals new values. A Keyring is safe for concurrent use and
// never reveals key material through fmt or slog.
type Keyring struct {
	primary string
	ids     []string
	aeads   map[string]cipher.AEAD
}

// ParseKeyring parses a STOCKROOM_ENCRYPTION_KEYS value: comma-separated
// "id:base64key" entries, where id is 1-16 characters of [a-z0-9_-] and the
// key is 32 bytes in standard or URL-safe base64, padded or not. The first
// entry is the primary key. Errors name the entry by position and id but
// never echo key material.
func ParseKeyring(spec string) (*Keyring, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, errors.New("seal: encryption key list is empty")
	}
	k := &Keyring{aeads: make(map[string]cipher.AEAD)}
	for i, entry := range strings.Split(spec, ",") {
		pos := i + 1
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return nil, fmt.Errorf("seal: key entry %d is empty", pos)
		}
		id, encoded, ok := strings.Cut(entry, ":")
		if !ok {
			// The entry may be a bare key; do not quote it.
			return nil, fmt.Errorf("seal: key entry %d is not of the form id:base64key", pos)
		}
		if err := validateID(id); err != nil {
			return nil, fmt.Errorf("seal: key entry %d: %w", pos, err)
		}
		if _, dup := k.aeads[id]; dup {
			return nil, fmt.Errorf("seal: key entry %d: duplicate key id %q", pos, id)
		}
		key, err := decodeKey(encoded)
		if err != nil {
			return nil, fmt.Errorf("seal: key entry %d (id %q): %w", pos, id, err)
		}
		aead, err := newAEAD(key)
		clear(key)
		if err != nil {
			return nil, fmt.Errorf("seal: key entry %d (id %q): %w", pos, id, err)
		}
		k.aeads[id] = aead
		k.ids = append(k.ids, id)
	}
	k.primary = k.ids[0]
	return k, nil
}

func validateID(id string) error {
	if id == "" || len(id) > maxIDLen {
		return fmt.Errorf("key id must be 1-%d characters", maxIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return fmt.Errorf("key id %q may only contain a-z, 0-9, '_' and '-'", id)
		}
	}
	return nil
}

// decodeKey accepts the base64 flavours operators are likely to paste:
// `openssl rand -base64 32` (standard, padded) and URL-safe unpadded.
func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		key, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(key) != KeySize {
			n := len(key)
			clear(key)
			return nil, fmt.Errorf("key must be %d bytes, got %d", KeySize, n)
		}
		return key, nil
	}
	return nil, errors.New("key is not valid base64")
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// PrimaryID returns the id of the key that seals new values.
func (k *Keyring) PrimaryID() string { return k.primary }

// IDs returns the ids of all keys in the keyring, primary first.
func (k *Keyring) IDs() []string { return append([]string(nil), k.ids...) }

// Seal encrypts plaintext with the primary key. ad names where the value
// will be stored (e.g. "store:42:access_token"); the same ad must be passed
// to Open.
func (k *Keyring) Seal(plaintext []byte, ad string) ([]byte, error) {
	aead := k.aeads[k.primary]
	header := appendHeader(make([]byte, 0, 2+len(k.primary)+nonceSize+len(plaintext)+aead.Overhead()), k.primary)
	nonceStart := len(header)
	out := header[:nonceStart+nonceSize]
	if _, err := rand.Read(out[nonceStart:]); err != nil {
		return nil, fmt.Errorf("seal: reading random nonce: %w", err)
	}
	return aead.Seal(out, out[nonceStart:], plaintext, additionalData(header[:nonceStart], ad)), nil
}

// Open decrypts a value produced by Seal with the same ad. It returns an
// error wrapping ErrUnknownKey when the sealing key is not in the keyring,
// and one wrapping ErrDecrypt for anything malformed, tampered with or
// sealed under different associated data.
func (k *Keyring) Open(ciphertext []byte, ad string) ([]byte, error) {
	id, headerLen, err := parseHeader(ciphertext)
	if err != nil {
		return nil, err
	}
	aead, ok := k.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKey, id)
	}
	rest := ciphertext[headerLen:]
	if len(rest) < nonceSize+aead.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext too short", ErrDecrypt)
	}
	nonce, sealed := rest[:nonceSize], rest[nonceSize:]
	plaintext, err := aead.Open(nil, nonce, sealed, additionalData(ciphertext[:headerLen], ad))
	if err != nil {
		return nil, ErrDecrypt
	}
	return plaintext, nil
}

// NeedsRotation reports whether ciphertext is well formed and was sealed
// with a key other than the primary, so a background job can re-seal it
// with [Keyring.Reseal]. Malformed input reports false: re-sealing cannot
// help it, and Open explains the problem.
func (k *Keyring) NeedsRotation(ciphertext []byte) bool {
	id, _, err := parseHeader(ciphertext)
	return err == nil && id != k.primary
}

// Reseal opens ciphertext and seals the plaintext again under the primary
// key with the same ad.
func (k *Keyring) Reseal(ciphertext []byte, ad string) ([]byte, error) {
	plaintext, err := k.Open(ciphertext, ad)
	if err != nil {
		return nil, err
	}
	defer clear(plaintext)
	return k.Seal(plaintext, ad)
}

// String describes the keyring by key ids only.
func (k *Keyring) String() string {
	return fmt.Sprintf("seal.Keyring{primary: %q, keys: %q}", k.primary, k.ids)
}

// GoString keeps %#v from printing the cipher state.
func (k *Keyring) GoString() string { return k.String() }

// LogValue keeps slog from walking into the cipher state.
func (k *Keyring) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("primary", k.primary),
		slog.Any("keys", k.IDs()),
	)
}

func appendHeader(b []byte, id string) []byte {
	b = append(b, formatV1, byte(len(id)))
	return append(b, id...)
}

// parseHeader returns the key id and the header length (version, id length,
// id); the nonce follows the header.
func parseHeader(c []byte) (id string, n int, err error) {
	if len(c) < 2 {
		return "", 0, fmt.Errorf("%w: ciphertext too short", ErrDecrypt)
	}
	if c[0] != formatV1 {
		return "", 0, fmt.Errorf("%w: unsupported format version %d", ErrDecrypt, c[0])
	}
	idLen := int(c[1])
	if idLen == 0 || idLen > maxIDLen || len(c) < 2+idLen {
		return "", 0, fmt.Errorf("%w: malformed key id", ErrDecrypt)
	}
	id = string(c[2 : 2+idLen])
	if validateID(id) != nil {
		return "", 0, fmt.Errorf("%w: malformed key id", ErrDecrypt)
	}
	return id, 2 + idLen, nil
}

// additionalData authenticates the header together with the caller's ad, so
// relabelling a ciphertext with another key id or version fails to open.
// The header's length is fixed by its own id-length byte, so header||ad
// cannot be confused with a different split.
func additionalData(header []byte, ad string) []byte {
	b := make([]byte, 0, len(header)+len(ad))
	b = append(b, header...)
	return append(b, ad...)
}

// KeyID names the key that sealed c, without opening it: restore uses it
// to say which key a backup needs.
func KeyID(c []byte) (string, error) {
	id, _, err := parseHeader(c)
	return id, err
}
