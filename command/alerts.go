// The alerts command: low-stock alerts, listed or followed live.
package command

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

const alertsHelp = `Lists the store's active alerts, newest first: low_stock and out_of_stock
(stock at or below its threshold) and runs_out (stock lasts fewer days than
the store's runs-out days at its last 30 days' sales; QTY then shows the
days of cover and N), with how each of your notifications went (--all adds
resolved ones).
With --follow, prints each new alert as it fires, for as long as the
connection stays open: a table row, or with --format json one JSON object
per line.`

// alertLimit caps a listing; following has no cap.
const alertLimit = 200

type alertJSON struct {
	ID        int64  `json:"id"`
	StoreID   int64  `json:"store_id"`
	Store     string `json:"store"`
	Kind      string `json:"kind"`
	Active    bool   `json:"active"`
	Quantity  int    `json:"quantity"`
	Threshold int    `json:"threshold"`
	// CoverDays is, for a runs_out alert (whose threshold is N days), the
	// days of cover it fired at; null for the others.
	CoverDays  *float64 `json:"cover_days"`
	FiredAt    string   `json:"fired_at"`
	ResolvedAt *string  `json:"resolved_at"`
	ListingID  int64    `json:"listing_id"`
	SKU        string   `json:"sku"`
	Title      string   `json:"title"`
	Variation  string   `json:"variation"`
	URL        string   `json:"url"`
	// AckedAt is when a member acknowledged the alert; SnoozedUntil and
	// SnoozedUntilRestocked say it is snoozed.
	AckedAt               *string        `json:"acked_at"`
	SnoozedUntil          *string        `json:"snoozed_until"`
	SnoozedUntilRestocked bool           `json:"snoozed_until_restocked"`
	Deliveries            []deliveryJSON `json:"deliveries"`
}

type deliveryJSON struct {
	Channel   string  `json:"channel"`
	Digest    bool    `json:"digest"`
	Status    string  `json:"status"`
	Attempts  int     `json:"attempts"`
	LastError string  `json:"last_error"`
	SentAt    *string `json:"sent_at"`
}

func alertItem(v store.AlertView) alertJSON {
	out := alertJSON{ID: v.ID, StoreID: v.StoreID, Store: v.StoreName, Kind: string(v.Kind), Active: v.Active,
		Quantity: v.Quantity, Threshold: v.Threshold, FiredAt: timestamp(v.FiredAt), ResolvedAt: optTime(v.ResolvedAt),
		ListingID: v.EtsyListingID, SKU: v.SKU, Title: v.Title, Variation: v.Variation, URL: v.URL,
		AckedAt: optTime(v.AckedAt), SnoozedUntil: optTime(v.SnoozedUntil), SnoozedUntilRestocked: v.SnoozeRestock,
		Deliveries: make([]deliveryJSON, len(v.Deliveries))}
	if v.Kind == store.AlertRunsOut {
		out.CoverDays = &v.CoverDays
	}
	for i, d := range v.Deliveries {
		out.Deliveries[i] = deliveryJSON{Channel: string(d.Channel), Digest: d.Digest, Status: string(d.Status),
			Attempts: d.Attempts, LastError: d.LastError, SentAt: optTime(d.SentAt)}
	}
	return out
}

func runAlerts(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	all := fs.Bool("all", false, "include resolved alerts")
	follow := fs.Bool("follow", false, "print new alerts as they fire until the connection closes")
	out := c.output(fs, formatTable, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	if *follow {
		return r.followAlerts(m, out.format)
	}
	views, err := r.app.Alerts(r.ctx, r.actor, m.ID, app.AlertListParams{ActiveOnly: !*all, Limit: alertLimit})
	if err != nil {
		return err
	}
	items := jsonItems(views, alertItem)
	return r.show(out, view{json: items, empty: "no alerts", count: len(items),
		table: func(w io.Writer) error { return alertTable(w, views, items) }})
}

var alertHeader = []string{"ID", "FIRED", "KIND", "QTY", "SKU", "TITLE", "VARIATION", "STATE", "NOTIFIED"}

// alertTable writes alerts as a table; views and items are the same alerts.
func alertTable(w io.Writer, views []store.AlertView, items []alertJSON) error {
	t := newTable(w, []int{0, 0, 0, 0, 24, 40, 30, 0, 40}, alertHeader...)
	for i, a := range items {
		t.row(alertCells(views[i], a)...)
	}
	return t.flush()
}

// followWidths are the columns of a followed table: rows are printed as
// alerts fire, so no later row can widen a column.
var followWidths = []int{6, 17, 12, 7, 24, 30, 24, 8, 0}

// alertCells is one alert as a table row.
func alertCells(v store.AlertView, a alertJSON) []string {
	state := "active"
	switch {
	case !a.Active:
		state = "resolved"
	case v.SnoozeRestock:
		state = "snoozed until restocked"
	case v.Snoozed(time.Now()):
		state = "snoozed until " + shortTime(v.SnoozedUntil)
	case !v.AckedAt.IsZero():
		state = "acknowledged"
	}
	notified := ""
	for j, d := range a.Deliveries {
		if j > 0 {
			notified += ", "
		}
		notified += d.Channel + " " + d.Status
		if d.LastError != "" && d.Status != string(store.DeliverySent) {
			notified += " (" + d.LastError + ")"
		}
	}
	qty := fmt.Sprintf("%d/%d", a.Quantity, a.Threshold)
	if a.CoverDays != nil {
		qty = fmt.Sprintf("%d (%.1fd<%dd)", a.Quantity, *a.CoverDays, a.Threshold)
	}
	return []string{strconv.FormatInt(a.ID, 10), shortTime(v.FiredAt), a.Kind,
		qty, a.SKU, a.Title, a.Variation, state, notified}
}

// followAlerts prints alerts that fire from now on, as table rows or one
// JSON object per line, until the session ends. The end of the session is
// the normal way out, so it is not an error.
func (r *runner) followAlerts(m store.MemberStore, f format) error {
	latest, err := r.app.Alerts(r.ctx, r.actor, m.ID, app.AlertListParams{Limit: 1})
	if err != nil {
		return err
	}
	var after int64
	if len(latest) == 1 {
		after = latest[0].ID
	}
	r.notef("following alerts of %s; close the connection to stop", m.Name)
	emit := func(v store.AlertView) error { return writeJSONLine(r.env.Stdout, alertItem(v)) }
	if f == formatTable {
		t, err := newStreamTable(r.env.Stdout, followWidths, alertHeader...)
		if err != nil {
			return err
		}
		emit = func(v store.AlertView) error { return t.row(alertCells(v, alertItem(v))...) }
	}
	err = r.app.FollowAlerts(r.ctx, r.actor, m.ID, after, emit)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) {
		if lost := r.stillMember(m.ID, m.Name, "stopped following its alerts"); lost != nil {
			return lost
		}
	}
	return err
}

const alertHandleHelp = `ack marks an alert as seen: it stays listed, marked acknowledged for every
member. snooze 1d|1w|restock marks it snoozed for a day, a week, or until
the row is restocked (which resolves it). Managers and owners may do both;
the alert ids are those alerts lists.`

func runAlertsAck(r *runner, c *invocation) error {
	return r.handleAlert(c, true)
}

func runAlertsSnooze(r *runner, c *invocation) error {
	return r.handleAlert(c, false)
}

// handleAlert acknowledges (ack) or snoozes the alert named by the first
// argument; a snooze takes its length second.
func (r *runner) handleAlert(c *invocation, ack bool) error {
	fs := c.flags(r)
	n := 2
	if ack {
		n = 1
	}
	pos, err := r.parse(c, fs, n, n)
	if err != nil {
		return err
	}
	id, err := idArg(c, pos[0], "alert")
	if err != nil {
		return err
	}
	h := app.AlertHandling{AlertID: id, Ack: ack}
	if !ack {
		h.Snooze = strings.ToLower(strings.TrimSpace(pos[1]))
		if h.Snooze != app.SnoozeDay && h.Snooze != app.SnoozeWeek && h.Snooze != app.SnoozeRestock {
			return usagef(c, "snooze %q: choose 1d, 1w or restock", pos[1])
		}
	}
	a, err := r.app.HandleAlert(r.ctx, r.actor, h)
	if err != nil {
		return err
	}
	switch {
	case ack:
		fmt.Fprintf(r.env.Stdout, "alert %d acknowledged\n", a.ID)
	case a.SnoozeRestock:
		fmt.Fprintf(r.env.Stdout, "alert %d snoozed until the row is restocked\n", a.ID)
	default:
		fmt.Fprintf(r.env.Stdout, "alert %d snoozed until %s\n", a.ID, shortTime(a.SnoozedUntil))
	}
	return nil
}

const runsOutHelp = `An alert (kind runs_out) fires when a variation's stock lasts fewer than
this many days at its pace of the last 30 days (units sold ÷ 30, or over
its age for a listing younger than that). Variations that did not sell in
those days never fire; sold-out ones have their out_of_stock alert
instead. 0 turns these alerts off. When the number changes, the rows that
cross it at once are told in one summary if there are many; later
crossings each get their message.`

// runStoreRunsOut sets the store's "runs out within N days".
func runStoreRunsOut(r *runner, c *invocation) error {
	return r.storeCommand(c, 1, 1, func(m store.MemberStore, pos []string) error {
		days, err := strconv.Atoi(pos[0])
		if err != nil || days < 0 || days > app.MaxCoverDays {
			return usagef(c, "%q: want a number of days from 1 to %d, or 0 for off", pos[0], app.MaxCoverDays)
		}
		st, err := r.app.UpdateStoreSettings(r.ctx, r.actor, app.StoreSettings{StoreID: m.ID, RunsOutDays: &days})
		if err != nil {
			return err
		}
		if st.RunsOutDays == 0 {
			fmt.Fprintf(r.env.Stdout, "%s: runs-out alerts are off\n", cleanName(st.Name))
			return nil
		}
		fmt.Fprintf(r.env.Stdout, "%s: an alert fires when a row's stock lasts fewer than %d days\n", cleanName(st.Name), st.RunsOutDays)
		return nil
	})
}
