// Low-stock alerts as a seller sees them: the Alerts screen and the
// `alerts` command (with --follow).
package app

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// AlertChecker fires and resolves alerts after a stock change
// (*notify.Evaluator).
type AlertChecker interface {
	// EvaluateTx runs in the transaction of the change; Announce follows
	// its commit.
	EvaluateTx(ctx context.Context, tx store.Tx, storeID int64, offeringIDs []int64) (store.AlertEvaluateResult, error)
	Announce(storeID int64, res store.AlertEvaluateResult)
	// Evaluate runs in a transaction of its own and announces.
	Evaluate(ctx context.Context, storeID int64, offeringIDs []int64) (store.AlertEvaluateResult, error)
}

// AlertListParams chooses which alerts to list.
type AlertListParams struct {
	// ActiveOnly leaves out resolved alerts (history).
	ActiveOnly bool
	// AfterID lists only alerts newer than this id.
	AfterID int64
	// OldestFirst reverses the order.
	OldestFirst bool
	// Limit caps the list (default 200).
	Limit int
}

// Alerts lists a store's alerts, newest first, each with the actor's own
// deliveries and their status (sent, queued, retrying, or failed with the
// reason). Titles and variations come from Etsy: sanitise before display.
func (s *Service) Alerts(ctx context.Context, a Actor, storeID int64, p AlertListParams) ([]store.AlertView, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	return s.db.AlertList(ctx, &store.AlertListParams{AccountID: a.Account.ID, StoreID: storeID,
		ActiveOnly: p.ActiveOnly, AfterID: p.AfterID, OldestFirst: p.OldestFirst, Limit: p.Limit})
}

// SubscribeAlerts returns the live alert events of one of the actor's
// stores (hub.AlertsChanged: an alert fired or resolved, a delivery's
// status moved), and the changes of the actor's own membership of it, so a
// follower removed from the store stops at once.
func (s *Service) SubscribeAlerts(ctx context.Context, a Actor, storeID int64) (*hub.Subscription, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	me := a.Account.ID
	return s.hub.SubscribeContext(ctx, func(e hub.Event) bool {
		return e.StoreID == storeID && (e.Kind == hub.AlertsChanged || (e.Kind == hub.MembersChanged && e.AccountID == me))
	}), nil
}

const followPage = 200

// FollowAlerts calls fn with every alert of the store newer than afterID,
// oldest first, as they fire, until ctx ends or fn fails. It is what
// `alerts --follow` runs.
func (s *Service) FollowAlerts(ctx context.Context, a Actor, storeID, afterID int64, fn func(store.AlertView) error) error {
	sub, err := s.SubscribeAlerts(ctx, a, storeID)
	if err != nil {
		return err
	}
	defer sub.Close()
	// Listing after subscribing: nothing fired in between is missed.
	catchUp := func() error {
		for {
			got, err := s.Alerts(ctx, a, storeID, AlertListParams{AfterID: afterID, OldestFirst: true, Limit: followPage})
			if err != nil {
				return err
			}
			for _, v := range got {
				if err := fn(v); err != nil {
					return err
				}
				afterID = v.ID
			}
			if len(got) < followPage {
				return nil
			}
		}
	}
	if err := catchUp(); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-sub.C:
			if !ok {
				return nil
			}
			sub.Missed()
			if err := catchUp(); err != nil {
				return err
			}
		}
	}
}

// TelegramLinkTTL is how long a Telegram link code works.
const TelegramLinkTTL = 15 * time.Minute

// linkAlphabet leaves out letters and digits people confuse (0/O, 1/I).
const linkAlphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// TelegramLinkCode issues a one-time code, such as "K7QXM-3HRWD", that
// links the actor's account to the Telegram chat which sends it to the bot
// (as "/start K7QXM-3HRWD" or on its own). It works once, for
// TelegramLinkTTL, and replaces the account's earlier code.
func (s *Service) TelegramLinkCode(ctx context.Context, a Actor) (string, error) {
	if _, err := s.active(ctx, a); err != nil {
		return "", err
	}
	// 10 characters of 32: 50 bits, far beyond what guessing through
	// Telegram could try in 15 minutes.
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	code := make([]byte, 0, 11)
	for i, x := range b {
		if i == 5 {
			code = append(code, '-')
		}
		code = append(code, linkAlphabet[int(x)%len(linkAlphabet)])
	}
	now := s.now()
	err := s.db.TelegramLinkCodeCreate(ctx, &store.TelegramLinkCodeCreateParams{AccountID: a.Account.ID, Code: string(code),
		ExpiresAt: now.Add(TelegramLinkTTL), Now: now})
	if err != nil {
		return "", err
	}
	return string(code), nil
}

// Snooze lengths a seller picks from.
const (
	SnoozeDay     = "1d"
	SnoozeWeek    = "1w"
	SnoozeRestock = "restock"
)

// AlertHandling acknowledges an alert and/or snoozes it (Snooze is
// SnoozeDay, SnoozeWeek, SnoozeRestock or empty).
type AlertHandling struct {
	AlertID int64
	Ack     bool
	Snooze  string
}

// SnoozeError refuses a snooze length that is not offered.
type SnoozeError struct{ Snooze string }

func (e *SnoozeError) Error() string {
	return "snooze " + e.Snooze + ": choose 1d (a day), 1w (a week) or restock (until restocked)"
}

// HandleAlert acknowledges or snoozes an alert of one of the actor's
// stores (managers and owners). The state is the alert's, kept in the
// store, so every member sees it and it survives a restart.
func (s *Service) HandleAlert(ctx context.Context, a Actor, h AlertHandling) (store.Alert, error) {
	if _, err := s.active(ctx, a); err != nil {
		return store.Alert{}, err
	}
	now := s.now()
	p := store.AlertHandleParams{AccountID: a.Account.ID, AlertID: h.AlertID, Ack: h.Ack, Now: now}
	switch h.Snooze {
	case "":
	case SnoozeDay:
		p.SnoozeUntil = now.Add(24 * time.Hour)
	case SnoozeWeek:
		p.SnoozeUntil = now.Add(7 * 24 * time.Hour)
	case SnoozeRestock:
		p.SnoozeRestock = true
	default:
		return store.Alert{}, &SnoozeError{Snooze: h.Snooze}
	}
	al, err := s.db.AlertHandle(ctx, &p)
	if errors.Is(err, store.ErrForbidden) {
		return al, &RoleError{Role: store.RoleViewer, Action: "acknowledge or snooze alerts"}
	}
	if err != nil {
		return al, err
	}
	s.hub.Publish(hub.Event{Kind: hub.AlertsChanged, StoreID: al.StoreID})
	return al, nil
}
