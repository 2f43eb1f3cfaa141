// Low-stock and runs-out alerts and their notification deliveries.
package store

import (
	"context"
	"time"
)

type Alerts interface {
	// AlertEvaluate compares the available quantity of the given offerings
	// (nil: every offering of the store) with their thresholds and their
	// active alert: it fires an alert for a row that fell to or below its
	// threshold, escalates a low-stock alert to out-of-stock at 0, and
	// resolves an alert whose row climbed back above its threshold. Beside
	// that rule, it fires AlertRunsOut for a row in stock whose days of
	// cover (at its last 30 days' sales, from the per-product day sums) are
	// under the store's RunsOutDays, and resolves it when they no longer
	// are, when the row sells out or is gone, or when the rule is off; with
	// OfferingIDs it checks this rule on every row of their listings. Each
	// fired alert gets a delivery row per member account and chosen
	// channel. With Tx set it runs inside that transaction (a Tx handed to
	// an OnCommit callback of this store); OnCommit runs in the same
	// transaction, so delivery jobs commit exactly with the alerts.
	AlertEvaluate(ctx context.Context, p *AlertEvaluateParams) (AlertEvaluateResult, error)
	// CoverCheckOfferings lists the offerings whose "runs out within N
	// days" decision new sales of the given Etsy listings can change: every
	// row of those listings (a sale moves their pace) and every row with
	// an active cover alert (the period moved on since it fired, so its
	// older sales may have left it). Checking them after a pull that wrote
	// sales decides exactly what checking the whole store would.
	CoverCheckOfferings(ctx context.Context, storeID int64, etsyListingIDs []int64) ([]int64, error)
	// AlertList lists a store's alerts, newest first unless OldestFirst, for a member account,
	// with that account's own deliveries.
	AlertList(ctx context.Context, p *AlertListParams) ([]AlertView, error)

	// DeliveryGet returns everything needed to send one delivery (for the
	// server's own work: the delivery worker).
	DeliveryGet(ctx context.Context, id int64) (DeliveryJob, error)
	// DeliveryMarkSent records that the deliveries went out. It never
	// changes a delivery already sent and reports how many it changed.
	DeliveryMarkSent(ctx context.Context, p *DeliveryMarkSentParams) (int, error)
	// DeliveryMarkFailed records a failed attempt: retrying, or failed for
	// good when Final. A delivery already sent is left alone.
	DeliveryMarkFailed(ctx context.Context, p *DeliveryMarkFailedParams) error
	// DigestPendingList lists the account and channel pairs that have
	// digest deliveries waiting.
	DigestPendingList(ctx context.Context) ([]DigestKey, error)
	// DigestDeliveryList lists the waiting digest deliveries of one account
	// and channel, oldest first.
	DigestDeliveryList(ctx context.Context, key DigestKey) ([]DeliveryJob, error)
	// AlertHandle acknowledges or snoozes an alert of a store the account
	// may edit (ErrForbidden for a viewer, ErrNotFound outside its stores)
	// and returns it as it now is.
	AlertHandle(ctx context.Context, p *AlertHandleParams) (Alert, error)
}

// AlertHandleParams acknowledges the alert (Ack) and/or snoozes it: until
// SnoozeUntil, or until restocked (SnoozeRestock). A zero SnoozeUntil with
// SnoozeRestock false leaves the snooze as it is.
type AlertHandleParams struct {
	AccountID     int64
	AlertID       int64
	Ack           bool
	SnoozeUntil   time.Time
	SnoozeRestock bool
	Now           time.Time
}

// AlertKind says how urgent an alert is.
type AlertKind string

const (
	AlertLowStock   AlertKind = "low_stock"
	AlertOutOfStock AlertKind = "out_of_stock"
	// AlertRunsOut says a row's days of cover (stock ÷ units sold per day
	// over the last 30 days) fell below the store's RunsOutDays. It is
	// never about a sold-out row (the out-of-stock alert is) nor a row
	// that did not sell in the period (its cover is unbounded).
	AlertRunsOut AlertKind = "runs_out"
)

// Channel is a way an account is told about alerts.
type Channel string

const (
	ChannelEmail    Channel = "email"
	ChannelTelegram Channel = "telegram"
	ChannelWhatsApp Channel = "whatsapp"
)

// DeliveryStatus is where one message stands.
type DeliveryStatus string

const (
	DeliveryQueued   DeliveryStatus = "queued"
	DeliverySent     DeliveryStatus = "sent"
	DeliveryRetrying DeliveryStatus = "retrying"
	DeliveryFailed   DeliveryStatus = "failed"
)

type Alert struct {
	ID         int64
	StoreID    int64
	OfferingID int64
	Kind       AlertKind
	Quantity   int // available quantity when it fired
	// Threshold is the low-stock threshold, or for AlertRunsOut the
	// store's N days.
	Threshold int
	// CoverDays is, for AlertRunsOut, the days of cover when it fired (to
	// a tenth of a day).
	CoverDays  float64
	Active     bool
	FiredAt    time.Time
	ResolvedAt time.Time
	// AckedAt and AckedBy (an account) say a member has seen the alert.
	AckedAt time.Time
	AckedBy int64
	// SnoozedUntil hides the alert from the active list until then;
	// SnoozeRestock until the row climbs back above its threshold (which
	// resolves the alert).
	SnoozedUntil  time.Time
	SnoozeRestock bool
}

// Snoozed tells whether the alert is snoozed at now.
func (a Alert) Snoozed(now time.Time) bool {
	return a.Active && (a.SnoozeRestock || a.SnoozedUntil.After(now))
}

type Delivery struct {
	ID        int64
	AlertID   int64
	AccountID int64
	Channel   Channel
	// Digest deliveries wait for the account's daily summary; the others
	// have a job of their own.
	Digest    bool
	Status    DeliveryStatus
	Attempts  int
	LastError string
	CreatedAt time.Time
	SentAt    time.Time
}

// AlertView is an alert with what a person needs to recognise the row.
// Title, Variation and SKU come from Etsy: sanitise before display.
type AlertView struct {
	Alert
	StoreName     string
	EtsyListingID int64
	Title         string
	Variation     string
	SKU           string
	URL           string
	Deliveries    []Delivery
}

// DeliveryJob is one delivery with its alert and its recipient.
type DeliveryJob struct {
	Delivery
	Alert          AlertView
	AccountName    string
	Email          string
	TelegramChatID string
	WhatsAppNumber string
	// Disabled accounts are not written to.
	Disabled bool
}

// DigestKey names one daily summary.
type DigestKey struct {
	AccountID int64
	Channel   Channel
}

type AlertEvaluateParams struct {
	// Tx, when set, is the transaction to work in.
	Tx      Tx
	StoreID int64
	// OfferingIDs limits the check; nil checks the whole store.
	OfferingIDs []int64
	// Channels are the channels this server can send on; an account's
	// choice of another channel gets no delivery.
	Channels []Channel
	Now      time.Time
	// SummarizeOver, when positive, makes an evaluation that fires more
	// alerts than it (a raised threshold, a shop connected with many rows
	// already low) queue its deliveries for one summary per account and
	// channel rather than a message each: the result says Summarized.
	SummarizeOver int
	// OnCommit runs in the transaction when something changed.
	OnCommit func(ctx context.Context, tx Tx, res AlertEvaluateResult) error
}

type AlertEvaluateResult struct {
	Fired    []Alert
	Resolved []Alert
	// Deliveries are the delivery rows created for Fired.
	Deliveries []Delivery
	// Summarized says Deliveries wait for one summary (see
	// AlertEvaluateParams.SummarizeOver).
	Summarized bool
	// ConnectRun and ConnectStarted name the store's first sync after it was connected, when it
	// is running (a sync run with TriggerConnect): the rows it finds
	// already low are told in one summary for the whole connect, once the
	// run is over, however many pages the sync writes. Summarized is then
	// set whatever the count.
	ConnectRun     int64
	ConnectStarted time.Time
}

// Changed tells whether any alert fired or resolved.
func (r AlertEvaluateResult) Changed() bool { return len(r.Fired)+len(r.Resolved) > 0 }

type AlertListParams struct {
	AccountID int64
	StoreID   int64
	// ActiveOnly leaves out resolved alerts.
	ActiveOnly bool
	// AfterID lists only alerts with a larger id (to follow new ones).
	AfterID int64
	// OldestFirst reverses the order, so a follower paging with AfterID
	// never skips an alert.
	OldestFirst bool
	Limit       int
}

type DeliveryMarkSentParams struct {
	IDs []int64
	Now time.Time
}

type DeliveryMarkFailedParams struct {
	IDs   []int64
	Error string
	Final bool
	Now   time.Time
}
