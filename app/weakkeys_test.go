package app_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
)

func rsaKey(t *testing.T, bits int) ssh.PublicKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := ssh.NewPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

// dssKey stands in for a DSA key: x/crypto no longer parses them (so none
// arrives over SSH), but the check must not depend on that.
type dssKey struct{}

func (dssKey) Type() string                                 { return ssh.InsecureKeyAlgoDSA }
func (dssKey) Marshal() []byte                              { return []byte("\x00\x00\x00\x07ssh-dss-stand-in") }
func (dssKey) Verify(data []byte, sig *ssh.Signature) error { return errors.New("no") }

// Keys the SSH handshake refuses (RSA under 2048 bits, DSA) are refused
// wherever a key is attached to an account, with the reason.
func TestWeakKeysRefused(t *testing.T) {
	weak := map[string]struct {
		key    ssh.PublicKey
		reason string
	}{
		"RSA-1024": {rsaKey(t, 1024), "1024 bits"},
		"DSA":      {dssKey{}, "DSA keys are not accepted"},
	}
	adminKey := edKey(t)
	e := newIdentityEnv(t, true, adminKey)
	ctx := t.Context()
	ada := e.signUp(t, "Ada", edKey(t))
	admin := e.signUp(t, "Root", adminKey)
	for name, w := range weak {
		t.Run(name, func(t *testing.T) {
			if err := app.CheckKey(w.key); err == nil || !strings.Contains(err.Error(), w.reason) {
				t.Fatalf("CheckKey: %v, want %q", err, w.reason)
			}
			_, err := e.svc.SignUp(ctx, app.SignUpParams{Name: "Weak", PublicKey: w.key})
			if err == nil || !strings.Contains(err.Error(), w.reason) {
				t.Errorf("sign-up: %v, want %q", err, w.reason)
			}
			link := e.linkCode(t, ada)
			if _, err := e.svc.ClaimKey(ctx, w.key, "192.0.2.1:1", link); err == nil || !strings.Contains(err.Error(), w.reason) {
				t.Errorf("key link: %v, want %q", err, w.reason)
			}
			invite, err := e.svc.AdminInvite(ctx, admin)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.svc.Join(ctx, app.JoinParams{Code: invite.Plain, Key: w.key, Name: "Weak"}); err == nil || !strings.Contains(err.Error(), w.reason) {
				t.Errorf("invite: %v, want %q", err, w.reason)
			}
			// Refused before the code was spent: a good key still can.
			if _, err := e.svc.ClaimKey(ctx, edKey(t), "192.0.2.2:1", link); err != nil {
				t.Errorf("the link code after a weak key tried it: %v", err)
			}
		})
	}
	if err := app.CheckKey(rsaKey(t, 2048)); err != nil {
		t.Fatalf("RSA-2048 refused: %v", err)
	}
}
