package syncer

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// The Standard Webhooks specification publishes one message with its
// secret and signature. Verifying it (and refusing it once changed) shows
// the handler follows the specification, not merely agrees with the
// sandbox's own signer.
func TestWebhookVerifiesTheStandardWebhooksTestVector(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		ts     = "1614265330"
		body   = `{"test": 2432232314}`
		sig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Unix(1614265330, 0)
	h := &webhookHandler{cfg: WebhookConfig{Tolerance: 5 * time.Minute, Now: func() time.Time { return at }}, key: key}

	if err := h.verify(id, ts, sig, []byte(body)); err != nil {
		t.Fatalf("the specification's vector was refused: %v", err)
	}
	// Several signatures may be sent during a key rotation: one valid is enough.
	if err := h.verify(id, ts, "v1,bm90IHRoaXMgb25l "+sig, []byte(body)); err != nil {
		t.Fatalf("a valid signature among others was refused: %v", err)
	}
	for name, c := range map[string]struct{ id, ts, sig, body string }{
		"changed body":      {id, ts, sig, `{"test": 2432232315}`},
		"changed id":        {"msg_other", ts, sig, body},
		"other version":     {id, ts, "v2," + strings.TrimPrefix(sig, "v1,"), body},
		"no signature":      {id, ts, "", body},
		"replayed too late": {id, "1614264000", sig, body},
	} {
		if err := h.verify(c.id, c.ts, c.sig, []byte(c.body)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
