// The activity ledger: who changed what in a store or an account, when, from
// where, and what became of it on Etsy.
package store

import (
	"context"
	"strconv"
	"time"
)

// Activity is append-only: there is a method to add events and methods to
// read them, none to change one. ActivityPruneBefore exists only for the
// operator's retention setting.
type Activity interface {
	// ActivityAppend records events and returns them with their ids.
	ActivityAppend(ctx context.Context, p *ActivityAppendParams) ([]ActivityEvent, error)
	// ActivityList pages through a store's ledger (or the account's own,
	// with StoreID 0), newest first, for a member of the store only.
	ActivityList(ctx context.Context, p *ActivityListParams) ([]ActivityEvent, error)
	// ActivityGet returns one event the account may see.
	ActivityGet(ctx context.Context, accountID, eventID int64) (ActivityEvent, error)
	// ActivityPruneBefore deletes events older than before, for the
	// operator's retention setting; the product itself never calls it
	// otherwise.
	ActivityPruneBefore(ctx context.Context, before time.Time) (int64, error)
}

// ActivityKind says what changed. Kinds are dotted, area first, so a filter
// on "stock" matches every stock kind.
type ActivityKind string

const (
	KindStockSet        ActivityKind = "stock.set"         // a person set a quantity
	KindStockSync       ActivityKind = "stock.sync"        // Etsy's quantity moved (a sale, an edit on Etsy)
	KindStockPushed     ActivityKind = "stock.pushed"      // Etsy took an edit
	KindStockPushFailed ActivityKind = "stock.push_failed" // Etsy refused an edit
	KindThresholdSet    ActivityKind = "threshold.set"
	KindStoreSettings   ActivityKind = "store.settings"
	KindStoreConnect    ActivityKind = "store.connect"
	KindKeyAdd          ActivityKind = "key.add"
	KindKeyRemove       ActivityKind = "key.remove"
	KindAccountDisable  ActivityKind = "account.disable"
	KindAccountEnable   ActivityKind = "account.enable"
	KindAdminSync       ActivityKind = "admin.sync"
	// An admin issued or revoked an account invite; the event belongs to
	// the admin's own account.
	KindAdminInvite       ActivityKind = "admin.invite"
	KindAdminInviteRevoke ActivityKind = "admin.revoke"
	// Kinds for the membership and disconnect paths: record them with
	// app.Service.Record when those paths change something.
	KindMemberAdd       ActivityKind = "member.add"
	KindMemberRemove    ActivityKind = "member.remove"
	KindMemberRole      ActivityKind = "member.role"
	KindStoreDisconnect ActivityKind = "store.disconnect"
)

// Who acted when no person did.
const (
	ActorEtsy     = "Etsy"
	ActorSync     = "sync"
	ActorSchedule = "schedule"
)

// Sources beyond the stock edit sources.
const (
	SourceWebhook Source = "webhook"
	SourceAdmin   Source = "admin"
)

// ActivityEvent is one entry of the ledger.
type ActivityEvent struct {
	ID int64
	// StoreID is the store the change belongs to; 0 for an account's own
	// events (keys, admin actions on it), which belong to AccountID.
	StoreID   int64
	AccountID int64
	// ActorID and ActorKey name the person (account and SSH key
	// fingerprint); Actor names anything else ("Etsy", "sync", "schedule").
	ActorID   int64
	ActorKey  string
	Actor     string
	ActorName string // read only: the acting account's name
	Source    Source
	Kind      ActivityKind
	// OfferingID, Subject (a SKU, listing or setting) and Title say what
	// changed; Before and After how, as text a person reads.
	OfferingID int64
	Subject    string
	Title      string
	Before     string
	After      string
	// BeforeQty and AfterQty are the quantities of a stock event.
	BeforeQty int
	AfterQty  int
	// Version is the offering's desired version a stock edit created (or
	// a push took to Etsy): it links an edit to the push that carried it.
	Version int64
	BatchID string // one import, or one batch undo
	UndoOf  int64  // the event this one undoes
	Note    string
	// Outcome is, on read, the push event that carried a stock edit to
	// Etsy (zero while it waits).
	Outcome   *ActivityOutcome
	CreatedAt time.Time
}

// ActivityOutcome is what Etsy made of a stock edit.
type ActivityOutcome struct {
	EventID int64
	Kind    ActivityKind // KindStockPushed or KindStockPushFailed
	Etsy    int          // Etsy's quantity after the push
	Note    string
}

// Who is the actor as a person reads it.
func (e ActivityEvent) Who() string {
	switch {
	case e.Actor != "":
		return e.Actor
	case e.ActorName != "":
		return e.ActorName
	case e.ActorID != 0:
		return "account " + strconv.FormatInt(e.ActorID, 10)
	}
	return "unknown"
}

// Undoable tells whether the event is a person's stock edit, the only kind
// undo puts back.
func (e ActivityEvent) Undoable() bool { return e.Kind == KindStockSet && e.OfferingID != 0 }

type ActivityAppendParams struct {
	Events []ActivityEvent
	Now    time.Time
}

type ActivityListParams struct {
	AccountID int64
	StoreID   int64 // 0: the account's own ledger
	// Admin lists the admin ledger instead: every admin action on any
	// account or store. It ignores AccountID, so only the application
	// layer's admin check stands before it.
	Admin bool
	// Before is the cursor: only events with a smaller id (0: from the
	// newest).
	Before int64
	Limit  int
	// Filters; zero values match everything.
	Who        string // an account name or its start, a key fingerprint, "Etsy", "sync", "schedule"
	Kind       string // a kind, or its area ("stock")
	Text       string // part of the subject or title
	Since      time.Time
	Until      time.Time // exclusive
	BatchID    string
	OfferingID int64
}
