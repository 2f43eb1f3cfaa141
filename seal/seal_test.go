package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func mustKeyring(t *testing.T, spec string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(spec)
	if err != nil {
		t.Fatalf("ParseKeyring: %v", err)
	}
	return k
}

func entry(id string, key []byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(key)
}

func TestSealOpenRoundTrip(t *testing.T) {
	k := mustKeyring(t, entry("k1", testKey(1)))
	for _, plaintext := range [][]byte{[]byte("etsy-access-token-123"), {}, bytes.Repeat([]byte{0}, 4096)} {
		c, err := k.Seal(plaintext, "store:42:access_token")
		if err != nil {
			t.Fatal(err)
		}
		if len(plaintext) > 4 && bytes.Contains(c, plaintext) {
			t.Fatal("ciphertext contains the plaintext")
		}
		got, err := k.Open(c, "store:42:access_token")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, plaintext) {
			t.Fatalf("Open = %q, want %q", got, plaintext)
		}
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	k := mustKeyring(t, entry("k1", testKey(1)))
	a, _ := k.Seal([]byte("same"), "ad")
	b, _ := k.Seal([]byte("same"), "ad")
	if bytes.Equal(a, b) {
		t.Fatal("sealing the same plaintext twice gave identical ciphertexts")
	}
}

func TestOpenWrongADFails(t *testing.T) {
	k := mustKeyring(t, entry("k1", testKey(1)))
	c, _ := k.Seal([]byte("token"), "store:42:access_token")
	for _, ad := range []string{"store:43:access_token", "store:42:refresh_token", ""} {
		if _, err := k.Open(c, ad); !errors.Is(err, ErrDecrypt) {
			t.Errorf("Open with ad %q: err = %v, want ErrDecrypt", ad, err)
		}
	}
}

func TestOpenTamperedFails(t *testing.T) {
	k := mustKeyring(t, entry("k1", testKey(1))+","+entry("k2", testKey(2)))
	c, _ := k.Seal([]byte("token"), "ad")
	for i := range c {
		bad := bytes.Clone(c)
		bad[i] ^= 0x01
		if _, err := k.Open(bad, "ad"); err == nil {
			t.Fatalf("flipping a bit in byte %d still opened", i)
		}
	}
	// Relabelling with another valid key id must not open either.
	relabelled := bytes.Clone(c)
	copy(relabelled[2:4], "k2")
	if _, err := k.Open(relabelled, "ad"); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("relabelled ciphertext: err = %v, want ErrDecrypt", err)
	}
	for n := range len(c) {
		if _, err := k.Open(c[:n], "ad"); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("truncated to %d bytes: err = %v, want ErrDecrypt", n, err)
		}
	}
}

func TestRotation(t *testing.T) {
	old := mustKeyring(t, entry("old", testKey(1)))
	c, _ := old.Seal([]byte("refresh"), "store:1:refresh_token")
	if old.NeedsRotation(c) {
		t.Fatal("NeedsRotation true for a value sealed with the primary key")
	}

	rotated := mustKeyring(t, entry("new", testKey(2))+","+entry("old", testKey(1)))
	if rotated.PrimaryID() != "new" {
		t.Fatalf("PrimaryID = %q, want new", rotated.PrimaryID())
	}
	got, err := rotated.Open(c, "store:1:refresh_token")
	if err != nil || string(got) != "refresh" {
		t.Fatalf("old key no longer opens: %q, %v", got, err)
	}
	if !rotated.NeedsRotation(c) {
		t.Fatal("NeedsRotation false for a value sealed with a retired key")
	}

	resealed, err := rotated.Reseal(c, "store:1:refresh_token")
	if err != nil {
		t.Fatal(err)
	}
	if rotated.NeedsRotation(resealed) {
		t.Fatal("resealed value still needs rotation")
	}
	newOnly := mustKeyring(t, entry("new", testKey(2)))
	if got, err := newOnly.Open(resealed, "store:1:refresh_token"); err != nil || string(got) != "refresh" {
		t.Fatalf("resealed value does not open with the new key alone: %q, %v", got, err)
	}
	if _, err := newOnly.Open(c, "store:1:refresh_token"); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("value sealed with removed key: err = %v, want ErrUnknownKey", err)
	}
	if rotated.NeedsRotation([]byte{9, 9}) {
		t.Fatal("NeedsRotation true for garbage")
	}
}

func TestParseKeyringAcceptsEncodings(t *testing.T) {
	key := testKey(0xfb) // 0xfb produces '+' '/' in std and '-' '_' in URL base64
	for name, enc := range map[string]*base64.Encoding{
		"std": base64.StdEncoding, "raw-std": base64.RawStdEncoding,
		"url": base64.URLEncoding, "raw-url": base64.RawURLEncoding,
	} {
		k, err := ParseKeyring(" a:" + enc.EncodeToString(key) + " , b_2-x:" + base64.StdEncoding.EncodeToString(testKey(3)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := k.IDs(); len(got) != 2 || got[0] != "a" || got[1] != "b_2-x" {
			t.Errorf("%s: IDs = %q", name, got)
		}
	}
}

func TestParseKeyringErrors(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(testKey(7))
	short := base64.StdEncoding.EncodeToString(testKey(7)[:16])
	secretish := "c2VjcmV0LWtleS1tYXRlcmlhbA" // must never be echoed
	tests := []struct {
		spec string
		want string
	}{
		{"", "empty"},
		{"  ", "empty"},
		{"a:" + good + ",", "entry 2 is empty"},
		{"a:" + good + ",a:" + good, `duplicate key id "a"`},
		{"a:" + short, "must be 32 bytes, got 16"},
		{"a:" + secretish + "!!", "not valid base64"},
		{secretish, "entry 1 is not of the form id:base64key"},
		{":" + good, "key id must be 1-16"},
		{"Upper:" + good, "may only contain"},
		{"abcdefghijklmnopq:" + good, "key id must be 1-16"},
	}
	for _, tt := range tests {
		_, err := ParseKeyring(tt.spec)
		if err == nil {
			t.Errorf("ParseKeyring(%q) succeeded", tt.spec)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseKeyring(%q) = %q, want it to mention %q", tt.spec, err, tt.want)
		}
		for _, secret := range []string{good, short, secretish} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("ParseKeyring(%q) error echoes key material: %q", tt.spec, err)
			}
		}
	}
}

func TestKeyringDoesNotRevealKeys(t *testing.T) {
	key := testKey(0x5a)
	k := mustKeyring(t, entry("k1", key))
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("boot", "keyring", k)
	for _, out := range []string{
		fmt.Sprint(k), fmt.Sprintf("%v", k), fmt.Sprintf("%+v", k), fmt.Sprintf("%#v", k), logged.String(),
	} {
		if !strings.Contains(out, "k1") {
			t.Errorf("output %q does not name the key id", out)
		}
		if strings.Contains(out, base64.StdEncoding.EncodeToString(key)) || strings.Contains(out, "5a5a") ||
			strings.Contains(out, string(key)) || strings.Contains(out, "90 90 90") {
			t.Errorf("output reveals the key: %q", out)
		}
	}
}

func TestGenerateKeySpec(t *testing.T) {
	a, err := GenerateKeySpec("2025-06")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := GenerateKeySpec("2025-06")
	if a == b {
		t.Fatal("two generated keys are equal")
	}
	k := mustKeyring(t, a)
	if k.PrimaryID() != "2025-06" {
		t.Fatalf("PrimaryID = %q", k.PrimaryID())
	}
	if _, err := GenerateKeySpec("bad id"); err == nil {
		t.Fatal("GenerateKeySpec accepted an invalid id")
	}
}

func TestLoadOrCreateDevKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	spec, created, err := LoadOrCreateDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("created = false on first call")
	}
	k := mustKeyring(t, spec)
	if k.PrimaryID() != "dev" {
		t.Fatalf("PrimaryID = %q, want dev", k.PrimaryID())
	}
	path := filepath.Join(dir, DevKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %04o, want 0600", info.Mode().Perm())
	}

	c, _ := k.Seal([]byte("token"), "ad")
	again, created, err := LoadOrCreateDevKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	if created || again != spec {
		t.Fatalf("second call: created=%v, same spec=%v", created, again == spec)
	}
	if _, err := mustKeyring(t, again).Open(c, "ad"); err != nil {
		t.Fatalf("reused key does not open earlier value: %v", err)
	}

	if runtime.GOOS != "windows" {
		if err := os.Chmod(path, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := LoadOrCreateDevKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("world-readable key file: err = %v, want refusal", err)
		}
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	if err := os.WriteFile(path, []byte("dev:notakey\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateDevKey(dir); err == nil {
		t.Fatal("corrupt key file accepted")
	} else if strings.Contains(err.Error(), "notakey") {
		t.Fatalf("error echoes file contents: %v", err)
	}
}
