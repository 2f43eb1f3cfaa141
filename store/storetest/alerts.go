// Conformance of low-stock alerts, their deliveries, and handling them:
// acknowledged and snoozed.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/stockroom/stockroom/store"
)

// RunAlerts runs the alert tests, one fresh database per subtest.
func RunAlerts(t *testing.T, open Opener) { runTable(t, open, alertTests) }

var bothChannels = []store.Channel{store.ChannelEmail, store.ChannelTelegram}

func (h *harness) evaluate(t *testing.T, storeID int64, ids ...int64) store.AlertEvaluateResult {
	t.Helper()
	res, err := h.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{StoreID: storeID, OfferingIDs: ids, Channels: bothChannels, Now: h.now})
	if err != nil {
		t.Fatalf("alert evaluate: %v", err)
	}
	return res
}

func (h *harness) alerts(t *testing.T, accountID, storeID int64, activeOnly bool) []store.AlertView {
	t.Helper()
	got, err := h.db.AlertList(t.Context(), &store.AlertListParams{AccountID: accountID, StoreID: storeID, ActiveOnly: activeOnly})
	if err != nil {
		t.Fatalf("alert list: %v", err)
	}
	return got
}

func wantFired(t *testing.T, res store.AlertEvaluateResult, kinds ...store.AlertKind) {
	t.Helper()
	var got []store.AlertKind
	for _, a := range res.Fired {
		got = append(got, a.Kind)
	}
	if !slices.Equal(got, kinds) {
		t.Fatalf("fired %v, want %v", got, kinds)
	}
}

var alertTests = map[string]func(t *testing.T, h *harness){
	"FiresOnceAndResolves": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		r := s.rows[0] // 10 on hand, threshold 3 (the store default)
		wantFired(t, h.evaluate(t, s.store.ID, r.OfferingID))

		r = h.edit(t, s, r.OfferingID, r.Version, 3)
		res := h.evaluate(t, s.store.ID, r.OfferingID)
		wantFired(t, res, store.AlertLowStock)
		a := res.Fired[0]
		if a.Quantity != 3 || a.Threshold != 3 || !a.Active || !a.FiredAt.Equal(h.now) || a.OfferingID != r.OfferingID {
			t.Fatalf("fired %+v", a)
		}
		if len(res.Deliveries) != 1 || res.Deliveries[0].Channel != store.ChannelEmail || res.Deliveries[0].AccountID != s.account.ID ||
			res.Deliveries[0].Digest || res.Deliveries[0].AlertID != a.ID {
			t.Fatalf("deliveries %+v, want one instant email to the owner", res.Deliveries)
		}

		r = h.edit(t, s, r.OfferingID, r.Version, 2)
		if res := h.evaluate(t, s.store.ID, r.OfferingID); res.Changed() {
			t.Fatalf("a second drop below the threshold fired again: %+v", res)
		}

		r = h.edit(t, s, r.OfferingID, r.Version, 0)
		res = h.evaluate(t, s.store.ID, r.OfferingID)
		wantFired(t, res, store.AlertOutOfStock)
		if len(res.Resolved) != 1 || res.Resolved[0].ID != a.ID || res.Resolved[0].ResolvedAt.IsZero() {
			t.Fatalf("escalation resolved %+v, want the low-stock alert", res.Resolved)
		}
		if len(res.Deliveries) != 1 {
			t.Fatalf("out of stock has %d deliveries, want its own one", len(res.Deliveries))
		}

		r = h.edit(t, s, r.OfferingID, r.Version, 1)
		if res := h.evaluate(t, s.store.ID, r.OfferingID); res.Changed() {
			t.Fatalf("stock back to 1, still under the threshold, changed alerts: %+v", res)
		}
		r = h.edit(t, s, r.OfferingID, r.Version, 4)
		res = h.evaluate(t, s.store.ID, r.OfferingID)
		if len(res.Fired) != 0 || len(res.Resolved) != 1 || res.Resolved[0].Kind != store.AlertOutOfStock {
			t.Fatalf("above the threshold: %+v, want the out-of-stock alert resolved", res)
		}
		if got := h.alerts(t, s.account.ID, s.store.ID, true); len(got) != 0 {
			t.Fatalf("%d active alerts after recovery", len(got))
		}

		r = h.edit(t, s, r.OfferingID, r.Version, 3)
		wantFired(t, h.evaluate(t, s.store.ID, r.OfferingID), store.AlertLowStock)
		all := h.alerts(t, s.account.ID, s.store.ID, false)
		if len(all) != 3 || !all[0].Active || all[1].Active || all[2].Active || all[0].ID < all[1].ID {
			t.Fatalf("history %+v, want three alerts newest first, only the newest active", all)
		}
		if all[2].Title != r.Title || all[2].SKU != r.SKU || all[2].StoreName != s.store.Name || all[2].EtsyListingID != r.EtsyListingID ||
			len(all[2].Deliveries) != 1 {
			t.Fatalf("alert view %+v does not describe the row", all[2])
		}
	},
	"WholeStoreAndThresholds": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		if res := h.evaluate(t, s.store.ID); res.Changed() {
			t.Fatalf("nothing is low, yet %+v", res)
		}
		ten := 10
		noErr(t, h.db.ThresholdSet(t.Context(), &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID,
			ListingID: s.rows[0].ListingID, Threshold: &ten}), "listing threshold")
		res := h.evaluate(t, s.store.ID)
		wantFired(t, res, store.AlertLowStock) // 10 <= 10; 11 and 12 are above
		if res.Fired[0].OfferingID != s.rows[0].OfferingID || res.Fired[0].Threshold != 10 {
			t.Fatalf("fired %+v", res.Fired[0])
		}
		twelve := 12
		noErr(t, h.db.ThresholdSet(t.Context(), &store.ThresholdSetParams{AccountID: s.account.ID, StoreID: s.store.ID,
			OfferingID: s.rows[2].OfferingID, Threshold: &twelve}), "offering threshold")
		wantFired(t, h.evaluate(t, s.store.ID, s.rows[1].OfferingID, s.rows[2].OfferingID, s.rows[2].OfferingID), store.AlertLowStock)
		if res := h.evaluate(t, s.store.ID, []int64{}...); res.Changed() {
			t.Fatalf("an empty id list evaluated something: %+v", res)
		}
	},
	"SyncWriteTransaction": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		l := listing(10, 3, 10)
		l.Products[0].Quantity = 0
		boom := errors.New("boom")
		var inTx store.AlertEvaluateResult
		write := func(fail bool) error {
			_, err := h.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: s.store.ID, Listings: []store.ListingSnapshot{l}, Now: h.now,
				OnCommit: func(ctx context.Context, tx store.Tx, res store.SyncWriteResult) error {
					var ids []int64
					for _, c := range res.StockChanges {
						ids = append(ids, c.OfferingID)
					}
					var err error
					inTx, err = h.db.AlertEvaluate(ctx, &store.AlertEvaluateParams{Tx: tx, StoreID: s.store.ID, OfferingIDs: ids,
						Channels: bothChannels, Now: h.now})
					if err != nil {
						return err
					}
					if fail {
						return boom
					}
					return nil
				}})
			return err
		}
		wantErr(t, write(true), boom, "failing page")
		if len(inTx.Fired) != 1 {
			t.Fatalf("in the page's transaction: fired %+v", inTx.Fired)
		}
		if got := h.alerts(t, s.account.ID, s.store.ID, false); len(got) != 0 {
			t.Fatalf("a rolled-back page left %d alerts", len(got))
		}
		noErr(t, write(false), "page")
		wantFired(t, inTx, store.AlertOutOfStock)
		got := h.alerts(t, s.account.ID, s.store.ID, false)
		if len(got) != 1 || got[0].Kind != store.AlertOutOfStock || len(got[0].Deliveries) != 1 {
			t.Fatalf("alerts after the page: %+v", got)
		}
	},
	"ChannelsAndDigest": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		bob := h.account(t, "bob")
		noErr(t, h.db.MembershipAdd(t.Context(), &store.MembershipAddParams{AccountID: bob.ID, StoreID: s.store.ID, Role: store.RoleViewer, Now: h.now}), "member")
		chat, yes := "424242", true
		_, err := h.db.AccountUpdate(t.Context(), &store.AccountUpdateParams{ID: bob.ID, TelegramChatID: &chat, NotifyTelegram: &yes, NotifyDigest: &yes, Now: h.now})
		noErr(t, err, "bob's channels")
		carol := h.account(t, "carol")
		noErr(t, h.db.MembershipAdd(t.Context(), &store.MembershipAddParams{AccountID: carol.ID, StoreID: s.store.ID, Role: store.RoleManager, Now: h.now}), "member")
		noErr(t, h.db.AccountSetDisabled(t.Context(), carol.ID, true), "disable carol")

		r := h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 1)
		res, err := h.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{StoreID: s.store.ID, OfferingIDs: []int64{r.OfferingID},
			Channels: []store.Channel{store.ChannelEmail}, Now: h.now})
		noErr(t, err, "evaluate")
		type key struct {
			account int64
			channel store.Channel
			digest  bool
		}
		var got []key
		for _, d := range res.Deliveries {
			got = append(got, key{d.AccountID, d.Channel, d.Digest})
		}
		want := []key{{s.account.ID, store.ChannelEmail, false}, {bob.ID, store.ChannelEmail, true}}
		if !slices.Equal(got, want) {
			t.Fatalf("deliveries %+v, want %+v (no Telegram on this server, none for a disabled account)", got, want)
		}

		r = h.edit(t, s, s.rows[1].OfferingID, s.rows[1].Version, 2)
		res = h.evaluate(t, s.store.ID, r.OfferingID)
		if len(res.Deliveries) != 3 {
			t.Fatalf("deliveries %+v, want the owner's email and bob's email and Telegram", res.Deliveries)
		}
		keys, err := h.db.DigestPendingList(t.Context())
		noErr(t, err, "digest pending")
		if !slices.Equal(keys, []store.DigestKey{{AccountID: bob.ID, Channel: store.ChannelEmail}, {AccountID: bob.ID, Channel: store.ChannelTelegram}}) {
			t.Fatalf("digest keys %+v", keys)
		}
		jobs, err := h.db.DigestDeliveryList(t.Context(), store.DigestKey{AccountID: bob.ID, Channel: store.ChannelEmail})
		noErr(t, err, "digest list")
		if len(jobs) != 2 || jobs[0].Alert.OfferingID != s.rows[0].OfferingID || jobs[1].Alert.OfferingID != s.rows[1].OfferingID ||
			jobs[0].Email != "bob@example.com" || jobs[0].AccountName != "bob" {
			t.Fatalf("bob's email digest %+v", jobs)
		}
		n, err := h.db.DeliveryMarkSent(t.Context(), &store.DeliveryMarkSentParams{IDs: []int64{jobs[0].ID, jobs[1].ID}, Now: h.now})
		noErr(t, err, "mark sent")
		if n != 2 {
			t.Fatalf("marked %d sent, want 2", n)
		}
		keys, err = h.db.DigestPendingList(t.Context())
		noErr(t, err, "digest pending")
		if !slices.Equal(keys, []store.DigestKey{{AccountID: bob.ID, Channel: store.ChannelTelegram}}) {
			t.Fatalf("digest keys after sending the email %+v", keys)
		}
		// Each account sees its own deliveries only.
		for _, v := range h.alerts(t, bob.ID, s.store.ID, true) {
			for _, d := range v.Deliveries {
				if d.AccountID != bob.ID {
					t.Fatalf("bob sees a delivery of account %d", d.AccountID)
				}
			}
		}
	},
	"DeliveryStatus": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		r := h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 0)
		res := h.evaluate(t, s.store.ID, r.OfferingID)
		id := res.Deliveries[0].ID
		j, err := h.db.DeliveryGet(t.Context(), id)
		noErr(t, err, "delivery get")
		if j.Status != store.DeliveryQueued || j.Email != "ada@example.com" || j.Alert.Kind != store.AlertOutOfStock ||
			j.Alert.Title != r.Title || j.Alert.Variation != r.Variation || j.Alert.URL != r.URL || j.Disabled {
			t.Fatalf("delivery job %+v", j)
		}
		noErr(t, h.db.DeliveryMarkFailed(t.Context(), &store.DeliveryMarkFailedParams{IDs: []int64{id}, Error: "dial tcp: connection refused", Now: h.now}), "fail")
		j, err = h.db.DeliveryGet(t.Context(), id)
		noErr(t, err, "DeliveryGet")
		if j.Status != store.DeliveryRetrying || j.Attempts != 1 || j.LastError != "dial tcp: connection refused" {
			t.Fatalf("after a failed attempt %+v", j.Delivery)
		}
		n, err := h.db.DeliveryMarkSent(t.Context(), &store.DeliveryMarkSentParams{IDs: []int64{id}, Now: h.at(time.Millisecond)})
		noErr(t, err, "sent")
		if n != 1 {
			t.Fatalf("marked %d", n)
		}
		n, err = h.db.DeliveryMarkSent(t.Context(), &store.DeliveryMarkSentParams{IDs: []int64{id}, Now: h.at(2 * time.Millisecond)})
		noErr(t, err, "sent again")
		noErr(t, h.db.DeliveryMarkFailed(t.Context(), &store.DeliveryMarkFailedParams{IDs: []int64{id}, Error: "late", Final: true, Now: h.now}), "fail after sent")
		j, err = h.db.DeliveryGet(t.Context(), id)
		noErr(t, err, "DeliveryGet")
		if n != 0 || j.Status != store.DeliverySent || j.Attempts != 2 || j.LastError != "" || !j.SentAt.Equal(h.at(time.Millisecond)) {
			t.Fatalf("a sent delivery changed: %+v (second mark changed %d)", j.Delivery, n)
		}
		_, err = h.db.DeliveryGet(t.Context(), id+1000)
		wantErr(t, err, store.ErrNotFound, "unknown delivery")
		wantErr(t, h.db.DeliveryMarkFailed(t.Context(), &store.DeliveryMarkFailedParams{IDs: []int64{id}}), store.ErrInvalid, "failure without a reason")
	},
	"ListIsolationAndFollow": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		other := h.seller(t, "eve", 2)
		var last int64
		for i, r := range s.rows {
			r = h.edit(t, s, r.OfferingID, r.Version, i)
			res := h.evaluate(t, s.store.ID, r.OfferingID)
			if i == 0 {
				last = res.Fired[0].ID
			}
		}
		if got := h.alerts(t, other.account.ID, s.store.ID, false); len(got) != 0 {
			t.Fatalf("another seller sees %d alerts", len(got))
		}
		got, err := h.db.AlertList(t.Context(), &store.AlertListParams{AccountID: s.account.ID, StoreID: s.store.ID, AfterID: last})
		noErr(t, err, "list after")
		if len(got) != 2 || got[1].ID <= last || got[0].ID < got[1].ID {
			t.Fatalf("after %d: %+v", last, got)
		}
		got, err = h.db.AlertList(t.Context(), &store.AlertListParams{AccountID: s.account.ID, StoreID: s.store.ID, AfterID: last, OldestFirst: true, Limit: 1})
		noErr(t, err, "oldest first")
		if len(got) != 1 || got[0].ID <= last || got[0].OfferingID != s.rows[1].OfferingID {
			t.Fatalf("the first after %d: %+v", last, got)
		}
		got, err = h.db.AlertList(t.Context(), &store.AlertListParams{AccountID: s.account.ID, StoreID: s.store.ID, Limit: 1})
		noErr(t, err, "limit")
		if len(got) != 1 || got[0].OfferingID != s.rows[2].OfferingID {
			t.Fatalf("limit 1: %+v", got)
		}
	},
	"GoneResolves": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		r := h.edit(t, s, s.rows[0].OfferingID, s.rows[0].Version, 1)
		wantFired(t, h.evaluate(t, s.store.ID, r.OfferingID), store.AlertLowStock)
		l := listing(10, 3, 10)
		l.Products = l.Products[1:]
		h.write(t, s.store.ID, l)
		res := h.evaluate(t, s.store.ID)
		if len(res.Fired) != 0 || len(res.Resolved) != 1 || res.Resolved[0].OfferingID != r.OfferingID {
			t.Fatalf("a row gone from Etsy: %+v, want its alert resolved", res)
		}
	},
	"ForeignTransaction": func(t *testing.T, h *harness) {
		s := h.seller(t, "ada", 1)
		_, err := h.db.AlertEvaluate(t.Context(), &store.AlertEvaluateParams{Tx: fakeTx{}, StoreID: s.store.ID})
		wantErr(t, err, store.ErrInvalid, "a transaction of something else")
	},
}

type fakeTx struct{}

func (fakeTx) SQL() *sql.Tx { return nil }
func (fakeTx) Pgx() pgx.Tx  { return nil }

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
