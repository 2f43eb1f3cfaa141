// The Etsy webhook endpoint: verify the Standard Webhooks signature, drop
// replays and duplicates, and queue an incremental sync of the shop so a
// sale shows in seconds.
package syncer

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stockroom/stockroom/jobs"
	"github.com/stockroom/stockroom/store"
)

// WebhookConfig configures the webhook handler. Store, Queue and Secret are
// required.
type WebhookConfig struct {
	Store store.DB
	Queue *jobs.Queue
	// Secret is the signing secret Etsy shows, "whsec_" + base64 key.
	Secret string
	// Tolerance is how far webhook-timestamp may be from now. Default 5m.
	Tolerance time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
}

type webhookHandler struct {
	cfg WebhookConfig
	key []byte
}

// maxWebhookBody caps a delivery; Etsy's are a few hundred bytes.
const maxWebhookBody = 64 << 10

// NewWebhookHandler returns the handler for POST /etsy/webhook.
func NewWebhookHandler(cfg WebhookConfig) (http.Handler, error) {
	if cfg.Store == nil || cfg.Queue == nil {
		return nil, errors.New("syncer: webhook needs Store and Queue")
	}
	raw, ok := strings.CutPrefix(cfg.Secret, "whsec_")
	if !ok {
		return nil, errors.New("syncer: webhook secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(key) == 0 {
		return nil, errors.New("syncer: webhook secret is not valid base64 after whsec_")
	}
	if cfg.Tolerance <= 0 {
		cfg.Tolerance = 5 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &webhookHandler{cfg: cfg, key: key}, nil
}

func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	id := r.Header.Get("webhook-id")
	ts := r.Header.Get("webhook-timestamp")
	if err := h.verify(id, ts, r.Header.Get("webhook-signature"), body); err != nil {
		h.cfg.Logger.Warn("webhook rejected", "err", err)
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	var msg struct {
		EventType string `json:"event_type"`
		ShopID    int64  `json:"shop_id"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.ShopID <= 0 {
		http.Error(w, "invalid payload", http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	stores, err := h.cfg.Store.StoreList(ctx)
	if err != nil {
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	// The delivery's id and the syncs it asks for commit together: a
	// delivery is either handled or, if queueing fails, not recorded, so
	// Etsy's retry is handled then.
	_, err = h.cfg.Store.WebhookSeen(ctx, id, h.cfg.Now(), func(ctx context.Context, tx store.Tx) error {
		for _, st := range stores {
			if st.EtsyShopID != msg.ShopID || st.Status != store.StatusConnected {
				continue
			}
			if err := h.cfg.Queue.EnqueueSyncTx(ctx, tx, st.ID, store.SyncIncremental, store.TriggerWebhook); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.cfg.Logger.Error("webhook", "err", err)
		http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// verify checks a Standard Webhooks signature and the timestamp window.
func (h *webhookHandler) verify(id, ts, sigs string, body []byte) error {
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("bad webhook-timestamp")
	}
	if d := h.cfg.Now().Sub(time.Unix(sec, 0)); d > h.cfg.Tolerance || d < -h.cfg.Tolerance {
		return errors.New("webhook-timestamp outside the tolerance window")
	}
	mac := hmac.New(sha256.New, h.key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		v, b64, ok := strings.Cut(s, ",")
		if !ok || v != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no valid signature")
}
