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

		viewer := h.account(t, "vic")
		noErr(t, h.db.MembershipAdd(ctx, &store.MembershipAddParams{AccountID: viewer.ID, StoreID: s.store.ID, Role: store.RoleViewer, Now: h.now}), "add viewer")
		_, err = h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: viewer.ID, AlertID: id, Ack: true, Now: h.now})
		wantErr(t, err, store.ErrForbidden, "a viewer acks")
		stranger := h.account(t, "mallory")
		_, err = h.db.AlertHandle(ctx, &store.AlertHandleParams{AccountID: stranger.ID, AlertID: id, Ack: true, Now: h.now})
		wantErr(t, err, store.ErrNotFound, "a stranger acks")

		// Restocked: the alert resolves, and the snooze ends with it.
		r = h.edit(t, s, r.OfferingID, r.Version, 20)
		h.evaluate(t, s.store.ID, r.OfferingID)
		if got := h.alerts(t, s.account.ID, s.store.ID, true); len(got) != 0 {
			t.Fatalf("active after the restock: %+v", got)
		}
	},
}
