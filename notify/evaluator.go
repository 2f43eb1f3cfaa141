// The Evaluator: alerts checked in the transaction of the stock change,
// their delivery jobs inserted in the same transaction.
package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// Inserter inserts a River job in a store transaction (*jobs.Queue).
type Inserter interface {
	InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// EvaluatorConfig holds an Evaluator's dependencies.
type EvaluatorConfig struct {
	Store store.Alerts
	Jobs  Inserter
	// Hub receives hub.AlertsChanged after a change commits (Announce).
	Hub *hub.Hub
	// Channels are those this server can send on (email when SMTP is
	// configured, Telegram with a bot token).
	Channels []store.Channel
	// SummarizeOver is how many alerts one evaluation may fire before its
	// messages become one summary per account and channel (default 5;
	// negative: never).
	SummarizeOver int
	Now           func() time.Time
}

// Evaluator fires and resolves alerts. It is safe for concurrent use.
type Evaluator struct {
	db       store.Alerts
	jobs     Inserter
	hub      *hub.Hub
	channels []store.Channel
	summary  int
	now      func() time.Time
}

func NewEvaluator(cfg EvaluatorConfig) *Evaluator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SummarizeOver == 0 {
		cfg.SummarizeOver = 5
	}
	return &Evaluator{db: cfg.Store, jobs: cfg.Jobs, hub: cfg.Hub, channels: cfg.Channels, summary: cfg.SummarizeOver, now: cfg.Now}
}

// EvaluateTx checks offeringIDs of storeID (nil: the whole store) inside
// tx, a transaction the store handed to an OnCommit callback, and inserts a
// delivery job for every instant delivery in that same transaction: the
// alert, its delivery rows and their jobs commit or roll back together.
// After the commit, call Announce with the result.
func (e *Evaluator) EvaluateTx(ctx context.Context, tx store.Tx, storeID int64, offeringIDs []int64) (store.AlertEvaluateResult, error) {
	return e.db.AlertEvaluate(ctx, &store.AlertEvaluateParams{
		Tx: tx, StoreID: storeID, OfferingIDs: offeringIDs, Channels: e.channels, Now: e.now(),
		SummarizeOver: e.summary, OnCommit: e.enqueue,
	})
}

// Evaluate is EvaluateTx in a transaction of its own, announced: for
// changes that do not come with a transaction (a threshold or a store
// default changed).
func (e *Evaluator) Evaluate(ctx context.Context, storeID int64, offeringIDs []int64) (store.AlertEvaluateResult, error) {
	res, err := e.db.AlertEvaluate(ctx, &store.AlertEvaluateParams{
		StoreID: storeID, OfferingIDs: offeringIDs, Channels: e.channels, Now: e.now(), SummarizeOver: e.summary,
		OnCommit: e.enqueue,
	})
	if err == nil {
		e.Announce(storeID, res)
	}
	return res, err
}

func (e *Evaluator) enqueue(ctx context.Context, tx store.Tx, res store.AlertEvaluateResult) error {
	if res.Summarized {
		// One summary now per account and channel, holding these alerts
		// (and whatever else waited for that account's digest); during a
		// shop's first sync, one for the whole connect, when it is over.
		args := DigestArgs{Day: e.now().UTC().Format(time.DateOnly), Summary: res.Fired[0].ID}
		if res.ConnectRun != 0 {
			args = DigestArgs{Day: res.ConnectStarted.UTC().Format(time.DateOnly), Connect: res.ConnectRun}
		}
		seen := map[store.DigestKey]bool{}
		for _, d := range res.Deliveries {
			k := store.DigestKey{AccountID: d.AccountID, Channel: d.Channel}
			if seen[k] {
				continue
			}
			seen[k] = true
			args.AccountID, args.Channel = d.AccountID, d.Channel
			if err := e.jobs.InsertTx(ctx, tx, args, nil); err != nil {
				return fmt.Errorf("notify: queue summary: %w", err)
			}
		}
		return nil
	}
	for _, d := range res.Deliveries {
		if d.Digest {
			continue // the daily digest collects it
		}
		if err := e.jobs.InsertTx(ctx, tx, DeliveryArgs{DeliveryID: d.ID}, nil); err != nil {
			return fmt.Errorf("notify: queue delivery %d: %w", d.ID, err)
		}
	}
	return nil
}

// Announce tells live screens that alerts of storeID changed. Call it once
// the transaction of EvaluateTx has committed.
func (e *Evaluator) Announce(storeID int64, res store.AlertEvaluateResult) {
	if e.hub != nil && res.Changed() {
		e.hub.Publish(hub.Event{Kind: hub.AlertsChanged, StoreID: storeID})
	}
}

// StockChangeIDs are the offerings a sync page moved, for EvaluateTx.
func StockChangeIDs(changes []store.StockChange) []int64 {
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.OfferingID
	}
	return ids
}
