package notify_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/testwait"
	"github.com/stockroom/stockroom/notify"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
)

type quickRetry struct{}

func (quickRetry) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(time.Duration(job.Attempt) * 30 * time.Millisecond)
}

type riverTx struct{ c *river.Client[*sql.Tx] }

func (r riverTx) InsertTx(ctx context.Context, tx store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := r.c.InsertTx(ctx, tx.SQL(), args, opts)
	return err
}

// riverQueue inserts jobs outside a transaction, as *jobs.Queue does.
type riverQueue struct{ c *river.Client[*sql.Tx] }

func (r riverQueue) Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (int64, error) {
	res, err := r.c.Insert(ctx, args, opts)
	if err != nil {
		return 0, err
	}
	return res.Job.ID, nil
}

// jobOutputs writes job output through the River client, as
// *jobs.Queue.JobOutputSet does.
type jobOutputs struct{ c *river.Client[*sql.Tx] }

func (j jobOutputs) JobOutputSet(ctx context.Context, id int64, output any) error {
	_, err := j.c.JobUpdate(ctx, id, &river.JobUpdateParams{Output: output})
	return err
}

// flow is a store on SQLite with River working the notify queue against
// the mailbox.
type flow struct {
	db     store.DB
	client *river.Client[*sql.Tx]
	ev     *notify.Evaluator
	mb     *mailbox
	queue  riverQueue
	owner  store.Account
	shop   store.Store
}

// flowConfig chooses the channels of a flow; the zero value sends email
// only, discards logs and names the shop Clay & Co.
type flowConfig struct {
	telegram notify.TelegramSender
	whatsapp notify.WhatsAppSender
	channels []store.Channel
	// logger receives the sender's and River's logs.
	logger *slog.Logger
	// owner changes the owner's notification settings after sign-up.
	owner *store.AccountUpdateParams
	// connectPoll is how often a connect's summary looks whether the
	// shop's first sync is over.
	connectPoll time.Duration
	// shopName is the name of the owner's shop.
	shopName string
	// recordEagerly gives the sender JobOutputs, so a notice records each
	// message as it is sent rather than as the attempt ends.
	recordEagerly bool
}

func newFlow(t *testing.T, mb *mailbox) *flow {
	t.Helper()
	return newFlowWith(t, mb, flowConfig{})
}

func newFlowWith(t *testing.T, mb *mailbox, cfg flowConfig) *flow {
	t.Helper()
	if cfg.logger == nil {
		cfg.logger = slog.New(slog.DiscardHandler)
	}
	if cfg.channels == nil {
		cfg.channels = []store.Channel{store.ChannelEmail}
	}
	if cfg.shopName == "" {
		cfg.shopName = "Clay & Co"
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "stockroom.db")
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	raw, err := sqlite.OpenRaw(path)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { _ = raw.Close() })
	drv := riversqlite.New(raw)
	m, err := rivermigrate.New(drv, &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		t.Fatal(err)
	}
	workers := river.NewWorkers()
	client, err := river.NewClient(drv, &river.Config{
		Logger:  cfg.logger,
		Queues:  map[string]river.QueueConfig{notify.QueueNotify: {MaxWorkers: 2}},
		Workers: workers, FetchCooldown: 5 * time.Millisecond, FetchPollInterval: 20 * time.Millisecond, RetryPolicy: quickRetry{},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New()
	sc := notify.SenderConfig{Store: db, Email: mb.mailer(t), Telegram: cfg.telegram, WhatsApp: cfg.whatsapp, Hub: h,
		MessageIDDomain: "stockroom.test", Logger: cfg.logger, ConnectPoll: cfg.connectPoll}
	if cfg.recordEagerly {
		sc.Jobs = jobOutputs{client}
	}
	// The sender may write job output through the client, so it joins the
	// client's Workers bundle once the client exists.
	if err := notify.NewSender(sc).Register(workers); err != nil {
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = client.Stop(stop)
	})
	f := &flow{db: db, client: client, mb: mb, queue: riverQueue{client}, ev: notify.NewEvaluator(notify.EvaluatorConfig{Store: db, Jobs: riverTx{client}, Hub: h,
		Channels: cfg.channels})}
	f.owner, err = db.AccountCreate(ctx, &store.AccountCreateParams{Name: "ada", Email: "ada@example.com", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.owner != nil {
		cfg.owner.ID = f.owner.ID
		if f.owner, err = db.AccountUpdate(ctx, cfg.owner); err != nil {
			t.Fatal(err)
		}
	}
	f.shop, err = db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: f.owner.ID, EtsyShopID: 7, EtsyUserID: 8, Name: cfg.shopName,
		Currency: "EUR", AccessToken: []byte("a"), RefreshToken: []byte("r"), TokenExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func snapshot(title string, qty int) store.ListingSnapshot {
	return listing(555, title, qty)
}

// listing is an Etsy listing with one blue variation, SKU MUG-<id>.
func listing(id int64, title string, qty int) store.ListingSnapshot {
	sku := fmt.Sprintf("MUG-%d", id-554)
	return store.ListingSnapshot{EtsyListingID: id, Title: title, State: "active", URL: fmt.Sprintf("https://www.etsy.com/listing/%d", id), Quantity: qty,
		Products: []store.ProductSnapshot{{Key: sku, EtsyProductID: id*10 + 1, SKU: sku, Variation: "Colour: blue", PropertyValues: "[]",
			EtsyOfferingID: id*10 + 2, Quantity: qty, Price: store.Money{Amount: 2400, Divisor: 100, Currency: "EUR"}, Enabled: true}}}
}

// syncPage writes a page as the sync engine does, alerts in its OnCommit.
func (f *flow) syncPage(t *testing.T, ls ...store.ListingSnapshot) {
	t.Helper()
	var res store.AlertEvaluateResult
	_, err := f.db.SyncListingsWrite(t.Context(), &store.SyncListingsWriteParams{StoreID: f.shop.ID, Listings: ls,
		OnCommit: func(ctx context.Context, tx store.Tx, w store.SyncWriteResult) error {
			var err error
			res, err = f.ev.EvaluateTx(ctx, tx, f.shop.ID, w.AlertIDs())
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
	f.ev.Announce(f.shop.ID, res)
}

// edit sets stock as app.SetStock does, alerts in its OnCommit.
func (f *flow) edit(t *testing.T, qty int) {
	t.Helper()
	rows, err := f.db.InventoryList(t.Context(), &store.InventoryListParams{AccountID: f.owner.ID, StoreID: f.shop.ID})
	if err != nil || len(rows) != 1 {
		t.Fatalf("inventory %v %v", rows, err)
	}
	_, err = f.db.StockEdit(t.Context(), &store.StockEditParams{AccountID: f.owner.ID, StoreID: f.shop.ID, Source: store.SourceTUI,
		Edits: []store.StockEditItem{{OfferingID: rows[0].OfferingID, Quantity: qty}},
		OnCommit: func(ctx context.Context, tx store.Tx, rows []store.InventoryRow) error {
			_, err := f.ev.EvaluateTx(ctx, tx, f.shop.ID, []int64{rows[0].OfferingID})
			return err
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// settled waits until River holds no job that could still run (available,
// running, retryable or scheduled): after it, a count of messages sent is
// final, with no sleep to guess how long a stray extra send would take.
// settledWith waits for mb to hold n messages and the job queue to settle,
// then checks mb still holds n: nothing more was sent. want says which.
func (f *flow) settledWith(t *testing.T, mb *mailbox, n int, want string) {
	t.Helper()
	testwait.Until(t, fmt.Sprintf("%d messages (%s)", n, want), func() bool { return len(mb.messages()) == n })
	f.settled(t)
	if got := len(mb.messages()); got != n {
		t.Fatalf("%d messages once the queue settled, want %d: %s", got, n, want)
	}
}

func (f *flow) settled(t *testing.T) {
	t.Helper()
	params := river.NewJobListParams().States(rivertype.JobStateAvailable, rivertype.JobStateRunning,
		rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStatePending)
	testwait.Until(t, "the job queue to settle", func() bool {
		res, err := f.client.JobList(t.Context(), params)
		if err != nil {
			t.Fatal(err)
		}
		return len(res.Jobs) == 0
	})
}

func (f *flow) statuses(t *testing.T) []string {
	t.Helper()
	views, err := f.db.AlertList(t.Context(), &store.AlertListParams{AccountID: f.owner.ID, StoreID: f.shop.ID, OldestFirst: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range views {
		for _, d := range v.Deliveries {
			out = append(out, fmt.Sprintf("%s:%s", v.Kind, d.Status))
		}
	}
	return out
}

func TestThresholdCrossingsSendOneEmailEach(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	f := newFlow(t, mb)
	f.syncPage(t, snapshot("Speckled mug", 10)) // new listing, above the threshold of 3
	f.syncPage(t, snapshot("Speckled mug", 3))  // a sale seen in sync: low
	testwait.Until(t, "the sync's email", func() bool { return len(mb.messages()) == 1 })
	f.syncPage(t, snapshot("Speckled mug", 2)) // still low: no new alert
	f.edit(t, 0)                               // an edit: out of stock
	testwait.Until(t, "the edit's email", func() bool { return len(mb.messages()) == 2 })
	testwait.Until(t, "both marked sent", func() bool {
		s := f.statuses(t)
		return len(s) == 2 && s[0] == "low_stock:sent" && s[1] == "out_of_stock:sent"
	})
	f.settled(t)
	got := mb.messages()
	if len(got) != 2 {
		t.Fatalf("%d emails, want exactly 2", len(got))
	}
	low, out := parse(t, got[0].Data), parse(t, got[1].Data)
	if s := low.subject(t); s != "Low stock: 3 left: Speckled mug (Colour: blue) [Clay & Co]" {
		t.Fatalf("subject %q", s)
	}
	if s := out.subject(t); !strings.HasPrefix(s, "Out of stock: Speckled mug") {
		t.Fatalf("subject %q", s)
	}
	if !strings.Contains(low.Text, "Available: 3 (alert at 3 or fewer)") || !strings.Contains(low.Text, "SKU: MUG-1") ||
		!strings.Contains(low.HTML, `href="https://www.etsy.com/listing/555"`) || got[0].To[0] != "ada@example.com" {
		t.Fatalf("low-stock email:\n%s\n%s", low.Text, low.HTML)
	}
}

func TestSMTPDownThenUpSendsExactlyOnce(t *testing.T) {
	mb := newMailbox(t) // not listening yet
	f := newFlow(t, mb)
	f.syncPage(t, snapshot("Speckled mug", 10))
	f.edit(t, 1)
	testwait.Until(t, "a failed attempt recorded", func() bool {
		s := f.statuses(t)
		return len(s) == 1 && s[0] == "low_stock:retrying"
	})
	views, _ := f.db.AlertList(t.Context(), &store.AlertListParams{AccountID: f.owner.ID, StoreID: f.shop.ID})
	if d := views[0].Deliveries[0]; d.LastError == "" || d.Attempts < 1 {
		t.Fatalf("retrying delivery without its reason: %+v", d)
	}
	mb.start(t)
	testwait.Until(t, "sent", func() bool { s := f.statuses(t); return len(s) == 1 && s[0] == "low_stock:sent" })
	f.settledWith(t, mb, 1, "the one email after the outage")
}

func TestEtsyTextIsSafeInEmail(t *testing.T) {
	mb := newMailbox(t)
	mb.start(t)
	f := newFlow(t, mb)
	evil := "Mug\r\nBcc: victim@example.com\r\n<script>alert(1)</script> & <b>bold</b>"
	f.syncPage(t, snapshot(evil, 10))
	f.syncPage(t, snapshot(evil, 0))
	p := mb.onlyToAda(t)
	s := p.subject(t)
	if strings.ContainsAny(s, "\r\n") || !strings.Contains(s, "Mug Bcc: victim@example.com <script>") {
		t.Fatalf("subject %q", s)
	}
	if strings.Contains(p.HTML, "<script>") || strings.Contains(p.HTML, "<b>bold") ||
		!strings.Contains(p.HTML, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;") {
		t.Fatalf("HTML body not escaped:\n%s", p.HTML)
	}
	if strings.Contains(p.Text, "\r\nBcc") {
		t.Fatalf("text body keeps the line break:\n%q", p.Text)
	}
}
