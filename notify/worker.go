// River workers that send deliveries and daily digests (and, registered with
// them, the reconnect notice of revoked.go), each exactly once as far as the
// database can tell: a job checks the delivery's status before sending and
// records it right after, and email carries a Message-ID that stays the same
// on every attempt.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

// QueueNotify is the River queue of deliveries: a slow mail server never
// holds up pushes or syncs.
const QueueNotify = "notify"

// maxAttempts spreads River's backoff (attempt⁴ seconds) over about three
// days before a delivery is given up.
const maxAttempts = 18

// DeliveryArgs sends one delivery.
type DeliveryArgs struct {
	DeliveryID int64 `json:"delivery_id" river:"unique"`
}

func (DeliveryArgs) Kind() string { return "notify_delivery" }

func (DeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// DigestArgs sends an account's summary of one day on one channel.
type DigestArgs struct {
	AccountID int64         `json:"account_id" river:"unique"`
	Channel   store.Channel `json:"channel" river:"unique"`
	Day       string        `json:"day" river:"unique"` // 2006-01-02, the account's day
	// Summary, when set, is the first alert of an evaluation that fired
	// too many to send one by one: a summary sent at once, apart from the
	// daily digest.
	Summary int64 `json:"summary,omitempty" river:"unique"`
	// Connect, when set, is the sync run of a shop just connected: the
	// summary of the rows it found already low, one per connect, sent
	// once the run is over (every page of the sync queues the same job,
	// which River keeps unique).
	Connect int64 `json:"connect,omitempty" river:"unique"`
}

func (DigestArgs) Kind() string { return "notify_digest" }

// InsertOpts makes a digest unique per account, channel and day whatever
// its state: a scheduler that runs twice in a day sends one summary.
func (DigestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EmailSender is *Mailer.
type EmailSender interface {
	Send(ctx context.Context, e Email) error
}

// TelegramSender is *Telegram.
type TelegramSender interface {
	Send(ctx context.Context, chatID, text string) error
}

// WhatsAppSender is *WhatsApp.
type WhatsAppSender interface {
	Send(ctx context.Context, to, text string) error
}

// SenderConfig holds the workers' dependencies. A nil channel is not
// configured on this server: its deliveries fail with that reason.
type SenderConfig struct {
	Store    SenderStore
	Email    EmailSender
	Telegram TelegramSender
	WhatsApp WhatsAppSender
	Hub      *hub.Hub
	// Jobs records, as each message goes out, what a job has sent, so a
	// job retried after a crash sends only the rest. Optional: without it
	// the record is written when the attempt ends.
	Jobs JobOutputs
	// MessageIDDomain ends every Message-ID (the From address's domain).
	MessageIDDomain string
	Logger          *slog.Logger
	Now             func() time.Time
	// ConnectPoll is how often the summary of a shop just connected looks
	// whether the shop's first sync is over (default 5 s).
	ConnectPoll time.Duration
}

// Sender does the work of both workers.
type Sender struct {
	db       SenderStore
	jobs     JobOutputs
	email    EmailSender
	telegram TelegramSender
	whatsapp WhatsAppSender
	hub      *hub.Hub
	domain   string
	log      *slog.Logger
	now      func() time.Time
	// connectPoll: see SenderConfig.ConnectPoll.
	connectPoll time.Duration
}

func NewSender(cfg SenderConfig) *Sender {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MessageIDDomain == "" {
		cfg.MessageIDDomain = "stockroom.invalid"
	}
	if cfg.ConnectPoll <= 0 {
		cfg.ConnectPoll = 5 * time.Second
	}
	return &Sender{db: cfg.Store, jobs: cfg.Jobs, email: cfg.Email, telegram: cfg.Telegram, whatsapp: cfg.WhatsApp, hub: cfg.Hub, domain: cfg.MessageIDDomain,
		log: cfg.Logger, now: cfg.Now, connectPoll: cfg.ConnectPoll}
}

// Register adds the delivery, digest and reconnect-notice workers to a
// River worker set.
func (s *Sender) Register(w *river.Workers) error {
	return errors.Join(
		river.AddWorkerSafely(w, &DeliveryWorker{s: s}),
		river.AddWorkerSafely(w, &DigestWorker{s: s}),
		river.AddWorkerSafely(w, &RevokedWorker{s: s}),
	)
}

// DeliveryWorker sends one instant delivery.
type DeliveryWorker struct {
	river.WorkerDefaults[DeliveryArgs]
	s *Sender
}

func (w *DeliveryWorker) Timeout(*river.Job[DeliveryArgs]) time.Duration { return 2 * time.Minute }

func (w *DeliveryWorker) Work(ctx context.Context, job *river.Job[DeliveryArgs]) error {
	return w.s.Deliver(ctx, job.Args.DeliveryID, job.Attempt >= job.MaxAttempts)
}

// Deliver sends delivery id unless it was sent already; last says this is
// the final attempt, after which a failure is recorded for good.
func (s *Sender) Deliver(ctx context.Context, id int64, last bool) error {
	j, err := s.db.DeliveryGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the store, the alert or the account was deleted
	}
	if err != nil {
		return err
	}
	if j.Status == store.DeliverySent || j.Status == store.DeliveryFailed || j.Digest {
		return nil
	}
	if j.Disabled {
		return s.failed(ctx, j.Alert.StoreID, []int64{id}, &PermanentError{Err: errors.New("the account is disabled")}, true)
	}
	msg, err := AlertMessage(j.Alert)
	if err != nil {
		return err
	}
	mid := fmt.Sprintf("alert-%d.delivery-%d@%s", j.AlertID, j.ID, s.domain)
	if err := s.send(ctx, j.Channel, j, msg, mid); err != nil {
		return s.failed(ctx, j.Alert.StoreID, []int64{id}, err, last)
	}
	return s.sent(ctx, j.Alert.StoreID, []int64{id})
}

// send writes msg on channel ch to the recipient of delivery to.
func (s *Sender) send(ctx context.Context, ch store.Channel, to store.DeliveryJob, msg Message, messageID string) error {
	switch ch {
	case store.ChannelEmail:
		if s.email == nil {
			return &PermanentError{Err: errors.New("email is not configured on this server")}
		}
		return s.email.Send(ctx, Email{To: to.Email, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, MessageID: messageID})
	case store.ChannelTelegram:
		if s.telegram == nil {
			return &PermanentError{Err: errors.New("Telegram is not configured on this server")}
		}
		return s.telegram.Send(ctx, to.TelegramChatID, msg.Subject+"\n\n"+msg.Text)
	case store.ChannelWhatsApp:
		if s.whatsapp == nil {
			return &PermanentError{Err: errors.New("WhatsApp is not configured on this server")}
		}
		return s.whatsapp.Send(ctx, to.WhatsAppNumber, msg.Subject+"\n"+msg.Text)
	}
	return &PermanentError{Err: fmt.Errorf("unknown channel %q", ch)}
}

// recordTimeout bounds writing an attempt's outcome once the attempt's
// own context may be over (see recordCtx).
const recordTimeout = 5 * time.Second

// recordCtx is the context an attempt's outcome is written with: the job's
// values without its end, for a few seconds. An attempt that failed
// because the job timed out or was cancelled (a slow mail server, a
// shutdown) still has its failure recorded, and on the last attempt its
// final state; with the job's expired context the write failed as well,
// and the delivery stayed queued with no reason given.
func recordCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
}

func (s *Sender) sent(ctx context.Context, storeID int64, ids []int64) error {
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	if _, err := s.db.DeliveryMarkSent(ctx, &store.DeliveryMarkSentParams{IDs: ids, Now: s.now()}); err != nil {
		// The message went out; retrying would send it again. The
		// record is lost, which is the lesser harm: say so and stop.
		s.log.Error("notify: sent but not recorded", "deliveries", ids, "err", err)
		return river.JobCancel(err)
	}
	s.announce(storeID)
	return nil
}

// failed records a failed attempt and tells River whether to retry.
func (s *Sender) failed(ctx context.Context, storeID int64, ids []int64, sendErr error, last bool) error {
	var perm *PermanentError
	final := last || errors.As(sendErr, &perm)
	reason := strings.TrimSpace(sendErr.Error())
	if len(reason) > 500 {
		reason = reason[:500]
	}
	ctx, cancel := recordCtx(ctx)
	defer cancel()
	if err := s.db.DeliveryMarkFailed(ctx, &store.DeliveryMarkFailedParams{IDs: ids, Error: reason, Final: final, Now: s.now()}); err != nil {
		return errors.Join(sendErr, err)
	}
	s.announce(storeID)
	s.log.Warn("notify: delivery failed", "deliveries", ids, "final", final, "err", reason)
	if perm != nil {
		return river.JobCancel(sendErr)
	}
	return sendErr
}

func (s *Sender) announce(storeID int64) {
	if s.hub != nil && storeID != 0 {
		s.hub.Publish(hub.Event{Kind: hub.AlertsChanged, StoreID: storeID})
	}
}

// DigestWorker sends one account's daily summary on one channel.
type DigestWorker struct {
	river.WorkerDefaults[DigestArgs]
	s *Sender
}

func (w *DigestWorker) Timeout(*river.Job[DigestArgs]) time.Duration { return 2 * time.Minute }

func (w *DigestWorker) Work(ctx context.Context, job *river.Job[DigestArgs]) error {
	return w.s.Digest(ctx, job.Args, job.Attempt >= job.MaxAttempts)
}

// connectWait is the longest a connect's summary waits for the sync.
const connectWait = time.Hour

// Digest sends the waiting digest deliveries of one account and channel as
// one message and marks them all sent.
func (s *Sender) Digest(ctx context.Context, a DigestArgs, last bool) error {
	day, err := time.Parse(time.DateOnly, a.Day)
	if err != nil {
		return river.JobCancel(fmt.Errorf("digest day %q: %w", a.Day, err))
	}
	if a.Connect != 0 {
		run, err := s.db.SyncRunGet(ctx, a.Connect)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// A run left running by a process that died is closed by the
		// sweep; past connectWait the summary goes with what it has.
		if err == nil && run.Result == store.ResultRunning && s.now().Sub(run.StartedAt) < connectWait {
			return river.JobSnooze(s.connectPoll)
		}
	}
	jobs, err := s.db.DigestDeliveryList(ctx, store.DigestKey{AccountID: a.AccountID, Channel: a.Channel})
	if err != nil || len(jobs) == 0 {
		return err
	}
	ids := make([]int64, len(jobs))
	views := make([]store.AlertView, len(jobs))
	for i, j := range jobs {
		ids[i], views[i] = j.ID, j.Alert
	}
	// Deliveries of several stores: announce each store's screens.
	storeID := jobs[0].Alert.StoreID
	if jobs[0].Disabled {
		return s.failed(ctx, storeID, ids, &PermanentError{Err: errors.New("the account is disabled")}, true)
	}
	msg, err := DigestMessage(views, day)
	if err != nil {
		return err
	}
	mid := fmt.Sprintf("digest-%s.account-%d.%s@%s", a.Day, a.AccountID, a.Channel, s.domain)
	if err := s.send(ctx, a.Channel, jobs[0], msg, mid); err != nil {
		return s.failed(ctx, storeID, ids, err, last)
	}
	if err := s.sent(ctx, storeID, ids); err != nil {
		return err
	}
	for _, j := range jobs[1:] {
		if j.Alert.StoreID != storeID {
			s.announce(j.Alert.StoreID)
		}
	}
	return nil
}

// Enqueuer inserts a River job outside any transaction (*jobs.Queue).
type Enqueuer interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error)
}

// DigestStore is what EnqueueDigests reads.
type DigestStore interface {
	DigestPendingList(ctx context.Context) ([]store.DigestKey, error)
	DigestDeliveryList(ctx context.Context, key store.DigestKey) ([]store.DeliveryJob, error)
	AccountGetByID(ctx context.Context, id int64) (store.Account, error)
}

// DigestSlot is the latest time at or before now at which the account's
// daily digest goes: its digest hour, on its own clock (an unknown time
// zone counts as UTC).
func DigestSlot(acct store.Account, now time.Time) time.Time {
	loc, err := time.LoadLocation(acct.TimeZone)
	if err != nil || acct.TimeZone == "" {
		loc = time.UTC
	}
	local := now.In(loc)
	slot := time.Date(local.Year(), local.Month(), local.Day(), acct.DigestHour, 0, 0, 0, loc)
	if slot.After(local) {
		slot = time.Date(local.Year(), local.Month(), local.Day()-1, acct.DigestHour, 0, 0, 0, loc)
	}
	return slot
}

// EnqueueDigests queues the summary of every account and channel whose
// digest hour has come with deliveries waiting from before it: everything
// waiting goes in one message, once a day (a summary is unique per
// account, channel and the slot's day), and an alert that fires after the
// hour waits for the next day's. The scheduler calls it every few
// minutes. It returns how many summaries it asked for.
func EnqueueDigests(ctx context.Context, db DigestStore, q Enqueuer, now time.Time) (int, error) {
	keys, err := db.DigestPendingList(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	accounts := map[int64]store.Account{}
	for _, k := range keys {
		acct, ok := accounts[k.AccountID]
		if !ok {
			if acct, err = db.AccountGetByID(ctx, k.AccountID); err != nil {
				return n, err
			}
			accounts[k.AccountID] = acct
		}
		slot := DigestSlot(acct, now)
		waiting, err := db.DigestDeliveryList(ctx, k)
		if err != nil {
			return n, err
		}
		if len(waiting) == 0 || !waiting[0].CreatedAt.Before(slot) {
			continue // nothing waited for this slot: the next one takes it
		}
		if _, err := q.Insert(ctx, DigestArgs{AccountID: k.AccountID, Channel: k.Channel, Day: slot.Format(time.DateOnly)}, nil); err != nil {
			return n, fmt.Errorf("notify: queue digest: %w", err)
		}
		n++
	}
	return n, nil
}
