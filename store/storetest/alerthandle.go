// Alerts that can be handled: acknowledged and snoozed.
package storetest

import (
	"testing"
	"time"

	"github.com/stockroom/stockroom/store"
)

var alertHandleTests = map[string]func(t *testing.T, h *harness){
	"AckAndSnoozeAreKept": func(t *testing.T, h *harness) {
		ctx := t.Context()
		s := h.seller(t, "ada", 1)
		r := h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 2)
		res := h.evaluate(t, s.store.ID, r.OfferingID)
		wantFired(t, res, store.AlertLowStock)
		id := res.Fired[0].ID

		a, err := h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: s.account.ID, AlertID: id, Ack: true, Now: h.at(time.Minute)})
		noErr(t, err, "ack")
		if !a.AckedAt.Equal(h.at(time.Minute)) || a.AckedBy != s.account.ID || a.Snoozed(h.now) {
			t.Fatalf("acked: %+v", a)
		}
		week := h.at(7 * 24 * time.Hour)
		a, err = h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: s.account.ID, AlertID: id, SnoozeUntil: week, Now: h.now})
		noErr(t, err, "snooze a week")
		if !a.SnoozedUntil.Equal(week) || !a.Snoozed(h.at(time.Hour)) || a.Snoozed(week) || !a.AckedAt.Equal(h.at(time.Minute)) {
			t.Fatalf("snoozed a week: %+v", a)
		}
		_, err = h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: s.account.ID, AlertID: id, SnoozeRestock: true, Now: h.now})
		noErr(t, err, "snooze until restocked")
		list := h.alerts(t, s.account.ID, s.store.ID, true)
		if len(list) != 1 || !list[0].SnoozeRestock || !list[0].SnoozedUntil.IsZero() || !list[0].AckedAt.Equal(h.at(time.Minute)) ||
			!list[0].Snoozed(h.at(365*24*time.Hour)) {
			t.Fatalf("listed: %+v", list)
		}

		viewer := h.joined(t, "vic", s.store.ID, store.RoleViewer)
		_, err = h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: viewer.ID, AlertID: id, Ack: true, Now: h.now})
		wantErr(t, err, store.ErrForbidden, "a viewer acks")
		stranger := h.account(t, "mallory")
		_, err = h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: stranger.ID, AlertID: id, Ack: true, Now: h.now})
		wantErr(t, err, store.ErrNotFound, "a stranger acks")

		// Sold out while snoozed until restocked: the out-of-stock alert
		// keeps the snooze and tells nobody.
		r = h.edit(t, s, r.OfferingID, r.Version, 0)
		res = h.evaluate(t, s.store.ID, r.OfferingID)
		if len(res.Fired) != 1 || res.Fired[0].Kind != store.AlertOutOfStock || !res.Fired[0].SnoozeRestock || len(res.Deliveries) != 0 {
			t.Fatalf("escalated while snoozed: %+v", res)
		}

		// Restocked: the alert resolves, and the snooze ends with it.
		r = h.edit(t, s, r.OfferingID, r.Version, 20)
		h.evaluate(t, s.store.ID, r.OfferingID)
		if got := h.alerts(t, s.account.ID, s.store.ID, true); len(got) != 0 {
			t.Fatalf("active after the restock: %+v", got)
		}
	},
}

var summaryTests = map[string]func(t *testing.T, h *harness){
	// More alerts at once than SummarizeOver: every delivery waits for one
	// summary; fewer: instant as the account chose.
	"SummarizeOver": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1) // 3 rows at 10, 11, 12
		twenty := 20
		_, err := h.db.StoreUpdateSettings(t.Context(), &store.StoreUpdateSettingsParams{AccountID: s.account.ID, StoreID: s.store.ID,
			LowStockDefault: &twenty, Now: h.now})
		noErr(t, err, "raise the default")
		res, err := h.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{StoreID: s.store.ID, Channels: bothChannels,
			SummarizeOver: 2, Now: h.now})
		noErr(t, err, "evaluate")
		if len(res.Fired) != 3 || !res.Summarized || len(res.Deliveries) != 3 {
			t.Fatalf("fired %d, summarized %v, deliveries %d", len(res.Fired), res.Summarized, len(res.Deliveries))
		}
		for _, d := range res.Deliveries {
			if !d.Digest {
				t.Fatalf("delivery %+v does not wait for the summary", d)
			}
		}
		r := h.edit(t, s, s.rows[0].OfferingID, s.inventoryVersion(t, h, 0), 0)
		res, err = h.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{StoreID: s.store.ID, OfferingIDs: []int64{r.OfferingID},
			Channels: bothChannels, SummarizeOver: 2, Now: h.now})
		noErr(t, err, "evaluate one crossing")
		if len(res.Fired) != 1 || res.Summarized || res.Deliveries[0].Digest {
			t.Fatalf("a single crossing: %+v", res)
		}
	},
}

var whatsAppTests = map[string]func(t *testing.T, h *harness){
	"DigestHourAndTimeZone": func(t *testing.T, h *harness) {
		a := h.account(t, "ada")
		if a.DigestHour != 8 || a.TimeZone != "UTC" {
			t.Fatalf("defaults: %d %q, want 8 UTC", a.DigestHour, a.TimeZone)
		}
		hour, zone := 18, "Europe/Berlin"
		up, err := h.db.AccountUpdate(t.Context(), &store.AccountUpdateParams{ID: a.ID, DigestHour: &hour, TimeZone: &zone, Now: h.now})
		noErr(t, err, "set the digest hour")
		again, err := h.db.AccountGetByID(t.Context(), a.ID)
		noErr(t, err, "account get")
		byKey, err := h.db.AccountGetByFingerprint(t.Context(), "SHA256:ada")
		noErr(t, err, "account get by key")
		for _, got := range []store.Account{up, again, byKey} {
			if got.DigestHour != 18 || got.TimeZone != "Europe/Berlin" {
				t.Fatalf("digest at %d %q", got.DigestHour, got.TimeZone)
			}
		}
	},
	// WhatsApp is a third channel: a member with a number and the channel
	// on gets a delivery, on a server that sends WhatsApp.
	"DeliveryToTheNumber": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		number, yes := "4915112345678", true
		acct, err := h.db.AccountUpdate(t.Context(), &store.AccountUpdateParams{ID: s.account.ID, WhatsAppNumber: &number,
			NotifyWhatsApp: &yes, Now: h.now})
		noErr(t, err, "ada's WhatsApp")
		if acct.WhatsAppNumber != number || !acct.NotifyWhatsApp {
			t.Fatalf("account %+v", acct)
		}
		r := h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 1)
		res, err := h.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{StoreID: s.store.ID, OfferingIDs: []int64{r.OfferingID},
			Channels: []store.Channel{store.ChannelEmail}, Now: h.now})
		noErr(t, err, "evaluate without WhatsApp")
		if len(res.Deliveries) != 1 || res.Deliveries[0].Channel != store.ChannelEmail {
			t.Fatalf("deliveries %+v, want email only on a server without WhatsApp", res.Deliveries)
		}
		r = h.edit(t, s, s.rows[1].OfferingID, s.rows[1].Version, 1)
		res, err = h.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{StoreID: s.store.ID, OfferingIDs: []int64{r.OfferingID},
			Channels: []store.Channel{store.ChannelEmail, store.ChannelWhatsApp}, Now: h.now})
		noErr(t, err, "evaluate with WhatsApp")
		if len(res.Deliveries) != 2 || res.Deliveries[1].Channel != store.ChannelWhatsApp {
			t.Fatalf("deliveries %+v, want email and WhatsApp", res.Deliveries)
		}
		job, err := h.db.DeliveryGet(t.Context(), res.Deliveries[1].ID)
		noErr(t, err, "delivery get")
		if job.WhatsAppNumber != number || job.Channel != store.ChannelWhatsApp {
			t.Fatalf("job %+v", job)
		}
	},
}

// inventoryVersion is row i's version as the store holds it now.
func (s seller) inventoryVersion(t *testing.T, h *harness, i int) int64 {
	t.Helper()
	return h.inventory(t, s.account.ID, s.store.ID)[i].Version
}
