// The activity and undo commands: the ledger of changes, and taking a stock
// edit back.
package command

import (
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

const activityHelp = `Lists the store's changes, newest first: who made them (an account and its
key, or Etsy, sync, schedule), from where (tui, command, import, sync, push,
admin), what changed (before → after) and, for stock edits, what Etsy made
of them (pending, pushed, failed). --since and --until take days (7d), hours
(12h), a date (2026-03-01, UTC; --until includes that day) or an RFC 3339
time. --who takes an account name, a key fingerprint, Etsy or sync; --kind a
kind (stock.set) or its area (stock); --filter part of a SKU or title.
--account lists your account's own events (keys, admin actions) instead of a
store's; --admin, for admins, every admin action on any account or store. Each line's id is what undo takes.`

const undoHelp = `Undoes a stock edit: sets the row back to its quantity before the edit, as a
new edit (queued for Etsy like any other, and itself in the activity, so it
can be undone too). With --batch, undoes every row of an import (its batch
id is in activity). If a row changed since the edit (a sale, another edit),
nothing is undone and the rows are listed; --force then applies the reverse
of the edit to the row as it is now, which keeps what happened since.`

// activityMax caps one listing; a longer history is read by narrowing
// --since and --until.
const activityMax = 10000

type activityJSON struct {
	ID             int64        `json:"id"`
	CreatedAt      string       `json:"created_at"`
	StoreID        *int64       `json:"store_id"`
	Who            string       `json:"who"`
	AccountID      *int64       `json:"account_id"`
	KeyFingerprint string       `json:"key_fingerprint"`
	Source         string       `json:"source"`
	Kind           string       `json:"kind"`
	Subject        string       `json:"subject"`
	Title          string       `json:"title"`
	Before         string       `json:"before"`
	After          string       `json:"after"`
	BeforeQuantity *int         `json:"before_quantity"`
	AfterQuantity  *int         `json:"after_quantity"`
	BatchID        string       `json:"batch_id"`
	UndoOf         *int64       `json:"undo_of"`
	Note           string       `json:"note"`
	Etsy           *etsyOutcome `json:"etsy"`
}

type etsyOutcome struct {
	Outcome  string `json:"outcome"` // pending, pushed, failed
	Quantity *int   `json:"quantity"`
	Note     string `json:"note"`
	EventID  *int64 `json:"event_id"`
}

var activityCSVHeader = []string{"id", "created_at", "store_id", "who", "account_id", "key_fingerprint", "source", "kind",
	"subject", "title", "before", "after", "batch_id", "undo_of", "etsy_outcome", "etsy_quantity", "note"}

func optID(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

// outcome is what Etsy made of a stock edit; nil for other events.
func outcome(e store.ActivityEvent) *etsyOutcome {
	if e.Kind != store.KindStockSet {
		return nil
	}
	o := e.Outcome
	switch {
	case o == nil:
		return &etsyOutcome{Outcome: "pending"}
	case o.Kind == store.KindStockPushFailed:
		return &etsyOutcome{Outcome: "failed", Quantity: &o.Etsy, Note: o.Note, EventID: &o.EventID}
	}
	return &etsyOutcome{Outcome: "pushed", Quantity: &o.Etsy, Note: o.Note, EventID: &o.EventID}
}

func activityItem(e store.ActivityEvent) activityJSON {
	j := activityJSON{ID: e.ID, CreatedAt: timestamp(e.CreatedAt), StoreID: optID(e.StoreID), Who: e.Who(), AccountID: optID(e.ActorID),
		KeyFingerprint: e.ActorKey, Source: string(e.Source), Kind: string(e.Kind), Subject: e.Subject, Title: e.Title,
		Before: e.Before, After: e.After, BatchID: e.BatchID, UndoOf: optID(e.UndoOf), Note: e.Note, Etsy: outcome(e)}
	if strings.HasPrefix(string(e.Kind), "stock.") {
		j.BeforeQuantity, j.AfterQuantity = &e.BeforeQty, &e.AfterQty
	}
	return j
}

// parseUntil reads --until: like --since, except that a date means the end
// of that day.
func parseUntil(v string, now time.Time) (time.Time, error) { return parseWhen("until", v, now, true) }

func runActivity(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	account := fs.Bool("account", false, "list your account's events instead of a store's")
	admin := fs.Bool("admin", false, "admins: list every admin action instead of a store's")
	since := fs.String("since", "", "from: `7d|12h|DATE|TIME`")
	until := fs.String("until", "", "to: `7d|12h|DATE|TIME`")
	who := fs.String("who", "", "only changes by this account name, key fingerprint, Etsy or sync")
	kind := fs.String("kind", "", "only this kind (stock.set) or area (stock)")
	filter := fs.String("filter", "", "only events whose SKU or title contains this text")
	batch := fs.String("batch", "", "only the events of this batch (an import)")
	limitV := fs.Int("limit", 200, "at most this many events")
	o := c.output(fs, formatTable, formatCSV, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	if *limitV < 1 || *limitV > activityMax {
		return usagef(c, "--limit %d: choose 1 to %d", *limitV, activityMax)
	}
	q := app.ActivityQuery{Who: strings.TrimSpace(*who), Kind: strings.TrimSpace(*kind), Text: strings.TrimSpace(*filter), BatchID: strings.TrimSpace(*batch)}
	now := time.Now()
	var err error
	if *since != "" {
		if q.Since, err = parseSince(*since, now); err != nil {
			return usagef(c, "%v", err)
		}
	}
	if *until != "" {
		if q.Until, err = parseUntil(*until, now); err != nil {
			return usagef(c, "%v", err)
		}
	}
	list := r.app.Activity
	if *admin {
		list = r.app.AdminActivity
	} else if !*account {
		m, err := r.resolveStore(*storeRef)
		if err != nil {
			return err
		}
		q.StoreID = m.ID
	}
	var evs []store.ActivityEvent
	for len(evs) < *limitV {
		q.Limit = min(*limitV-len(evs), 500)
		page, err := list(r.ctx, r.actor, q)
		if err != nil {
			return err
		}
		evs = append(evs, page...)
		if len(page) < q.Limit {
			break
		}
		q.Before = page[len(page)-1].ID
	}
	out := jsonItems(evs, activityItem)
	return r.show(o, view{json: out, csvHeader: activityCSVHeader,
		csv: func() [][]string {
			recs := make([][]string, len(out))
			for i, e := range out {
				var etsy, etsyQty string
				if e.Etsy != nil {
					etsy = e.Etsy.Outcome
					if e.Etsy.Quantity != nil {
						etsyQty = strconv.Itoa(*e.Etsy.Quantity)
					}
				}
				recs[i] = []string{strconv.FormatInt(e.ID, 10), e.CreatedAt, idText(e.StoreID), e.Who, idText(e.AccountID), e.KeyFingerprint,
					e.Source, e.Kind, e.Subject, e.Title, e.Before, e.After, e.BatchID, idText(e.UndoOf), etsy, etsyQty, e.Note}
			}
			return recs
		},
		table: func(w io.Writer) error {
			t := newTable(w, []int{0, 0, 16, 0, 0, 24, 24, 20}, "ID", "TIME", "WHO", "SOURCE", "KIND", "SUBJECT", "CHANGE", "ETSY")
			for i, e := range out {
				var etsy string
				if e.Etsy != nil {
					etsy = e.Etsy.Outcome
					if e.Etsy.Outcome == "failed" {
						etsy += ": " + e.Etsy.Note
					}
				}
				t.row(strconv.FormatInt(e.ID, 10), shortTime(evs[i].CreatedAt), e.Who, e.Source, e.Kind, e.Subject, changeText(e.Before, e.After), etsy)
			}
			return t.flush()
		}})
}

func idText(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// changeText is "before → after", or whichever side there is.
func changeText(before, after string) string {
	switch {
	case before == "" && after == "":
		return ""
	case before == "":
		return after
	case after == "":
		return before + " → (none)"
	}
	return before + " → " + after
}

func runUndo(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	batch := fs.String("batch", "", "undo every row of this batch (an import)")
	force := fs.Bool("force", false, "for rows changed since, apply the reverse change instead of refusing")
	pos, err := r.parse(c, fs, 0, 1)
	if err != nil {
		return err
	}
	var p app.UndoParams
	switch {
	case *batch != "" && len(pos) > 0:
		return usagef(c, "name an event id or --batch, not both")
	case *batch != "":
		m, err := r.editableStore(*storeRef)
		if err != nil {
			return err
		}
		p.StoreID, p.BatchID = m.ID, strings.TrimSpace(*batch)
	case len(pos) == 1:
		id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
		if err != nil || id <= 0 {
			return usagef(c, "%q is not an event id: activity lists them", pos[0])
		}
		p.EventID = id
	default:
		return usagef(c, "name the event to undo (its id in activity) or --batch ID")
	}
	plan, err := r.app.PlanUndo(r.ctx, r.actor, p)
	if err != nil {
		return err
	}
	if _, err := r.app.ApplyUndo(r.ctx, r.actor, plan, *force, store.SourceCommand); err != nil {
		return err
	}
	t := newTable(r.env.Stdout, []int{24, 0, 0, 0, 0}, "SKU", "EVENT", "WAS", "NOW", "SET TO")
	for _, l := range plan.Lines {
		set := strconv.Itoa(l.To)
		if l.Moved {
			set += " (reverse change: moved since)"
		}
		t.row(l.Event.Subject, strconv.FormatInt(l.Event.ID, 10), changeText(l.Event.Before, l.Event.After), strconv.Itoa(l.Now), set)
	}
	if err := t.flush(); err != nil {
		return err
	}
	r.notef("undone: %d row(s) queued for Etsy", len(plan.Lines))
	return nil
}
