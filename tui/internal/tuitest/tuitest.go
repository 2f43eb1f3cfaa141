// Package tuitest builds what TUI tests need: a real application layer over
// a SQLite store in a temporary directory, a seeded shop, a job queue that
// records what it is asked to do, key messages, and a loop that runs a
// screen's commands the way Bubble Tea would.
package tuitest

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/internal/jobsfake"
	"github.com/stockroom/stockroom/internal/sshtest"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
	"github.com/stockroom/stockroom/tui/common"
)

// Epoch is the fixed "now" of the tests.
var Epoch = time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)

// Noon is the fixed "now" of the tests that build their own store (a Shop,
// or accounts written straight into it), later the same day as Epoch.
var Noon = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// Wait is how long a test lets one command answer before it counts as a
// hang (Run, Drive, Settle).
const Wait = 5 * time.Second

// Jobs records the jobs the application layer enqueues.
type Jobs = jobsfake.Queue

// Env is one test's application.
type Env struct {
	DB      *sqlite.DB
	Hub     *hub.Hub
	Jobs    *Jobs
	App     *app.Service
	Snaps   *app.Snapshots
	Owner   app.Actor
	StoreID int64
}

// Options tune New.
type Options struct {
	// SignupClosed closes sign-up after the owner is created.
	SignupClosed bool
	Demo         bool
	Connect      app.Connector
	Budgets      app.Budgets
	// Admins are the key fingerprints the server's configuration names
	// admin: admin rights come from the session's key, never the account.
	Admins map[string]bool
}

// New opens a store in t.TempDir, signs an owner up, connects a shop for
// them and writes listings into it as a sync would.
func New(t testing.TB, listings []store.ListingSnapshot, o Options) *Env {
	t.Helper()
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	e := &Env{DB: db, Hub: hub.New(), Jobs: &Jobs{}}
	e.App = app.New(app.Config{Store: db, Jobs: e.Jobs, Hub: e.Hub, Connect: o.Connect, Budgets: o.Budgets,
		Demo: o.Demo, SignupOpen: true, AdminFingerprints: o.Admins, Now: func() time.Time { return Epoch }})
	e.Snaps = app.NewSnapshots(e.App)
	e.Owner = e.SignUp(t, "Olive Owner")
	st, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: e.Owner.Account.ID, EtsyShopID: 4242,
		Name: "Olive's Pottery", Currency: "USD", AccessToken: []byte("sealed"), RefreshToken: []byte("sealed"),
		TokenExpiresAt: Epoch.Add(time.Hour), Now: Epoch})
	if err != nil {
		t.Fatal(err)
	}
	e.StoreID = st.ID
	for start := 0; start < len(listings); start += 500 {
		page := listings[start:min(start+500, len(listings))]
		if _, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: st.ID, Listings: page, Now: Epoch}); err != nil {
			t.Fatal(err)
		}
	}
	if o.SignupClosed {
		// Sign-up was needed to create the owner; reopen the service with
		// the setting the test asked for, on the same store and hub.
		e.App = app.New(app.Config{Store: db, Jobs: e.Jobs, Hub: e.Hub, Connect: o.Connect, Budgets: o.Budgets,
			Demo: o.Demo, SignupOpen: false, AdminFingerprints: o.Admins, Now: func() time.Time { return Epoch }})
		e.Snaps = app.NewSnapshots(e.App)
	}
	return e
}

// Shop is one test's application in which Ada owns the connected shop
// Mugs and nothing else has happened, for screens that read what a test
// writes into the store itself.
type Shop struct {
	DB    *sqlite.DB
	App   *app.Service
	Jobs  *Jobs
	Actor app.Actor
	Store store.Store
	// Now is the fixed clock of the store, the service and Session.
	Now time.Time
}

// NewShop opens a store in t.TempDir and connects Ada's shop Mugs in it,
// with the clock standing at now.
func NewShop(t testing.TB, now time.Time) *Shop {
	t.Helper()
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "Ada", Fingerprint: "SHA256:ada",
		PublicKey: "ssh-ed25519 AAAAada", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: 77, Name: "Mugs",
		Currency: "EUR", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	j := &Jobs{}
	return &Shop{DB: db, App: app.New(app.Config{Store: db, Jobs: j, Now: func() time.Time { return now }}), Jobs: j,
		Actor: app.Actor{Account: acct, Fingerprint: "SHA256:ada"}, Store: st, Now: now}
}

// Session is a session context for Ada at width × height.
func (s *Shop) Session(width, height int) *common.Common {
	return Session(s.App, s.Actor, s.Now, width, height)
}

// NewKey returns a fresh SSH public key.
func NewKey(t testing.TB) ssh.PublicKey { return sshtest.NewKey(t).PublicKey() }

// SignUp creates an account with a fresh key.
func (e *Env) SignUp(t testing.TB, name string) app.Actor {
	t.Helper()
	a, err := e.App.SignUp(context.Background(), app.SignUpParams{Name: name, PublicKey: NewKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Member signs someone up and adds them to the shop with role.
func (e *Env) Member(t testing.TB, name string, role store.Role) app.Actor {
	t.Helper()
	a := e.SignUp(t, name)
	if err := e.DB.MembershipAdd(context.Background(), &store.MembershipAddParams{AccountID: a.Account.ID,
		StoreID: e.StoreID, Role: role, Now: Epoch}); err != nil {
		t.Fatal(err)
	}
	return a
}

// Common is a session context for actor at width × height.
func (e *Env) Common(a app.Actor, width, height int) *common.Common {
	c := Session(e.App, a, Epoch, width, height)
	c.Snapshots = e.Snaps
	return c
}

// Session is a session context on svc for actor at width × height, whose
// clock stands at now.
func Session(svc *app.Service, a app.Actor, now time.Time, width, height int) *common.Common {
	return &common.Common{Ctx: context.Background(), App: svc, Actor: a,
		Styles: common.NewStyles(true), Keys: common.DefaultKeyMap(), Now: func() time.Time { return now },
		Width: width, Height: height}
}

// Listing is one listing with the given variations (colour, quantity).
func Listing(id int64, title string, variations ...Variation) store.ListingSnapshot {
	l := store.ListingSnapshot{EtsyListingID: id, Title: title, State: "active", UpdatedAt: Epoch.Add(-time.Hour),
		URL: fmt.Sprintf("https://www.etsy.com/listing/%d", id)}
	for i, v := range variations {
		sku := v.SKU
		if sku == "" {
			sku = fmt.Sprintf("SKU-%d-%d", id, i)
		}
		l.Quantity += v.Quantity
		l.Products = append(l.Products, store.ProductSnapshot{Key: sku, EtsyProductID: id*10 + int64(i), SKU: sku,
			Variation: v.Name, PropertyValues: "[]", EtsyOfferingID: id*100 + int64(i), Quantity: v.Quantity,
			Price: store.Money{Amount: 2500 + int64(i)*100, Divisor: 100, Currency: "USD"}, Enabled: true, ReadinessID: 1})
	}
	return l
}

// Variation is one product of a Listing.
type Variation struct {
	Name     string
	SKU      string
	Quantity int
}

// Catalogue is n listings of v variations each, shaped like a real shop.
func Catalogue(n, v int) []store.ListingSnapshot {
	items := []string{"stoneware mug", "linen tote bag", "beeswax candle", "silver hoop earrings", "wool beanie", "ceramic planter"}
	colours := []string{"Cobalt", "Sage green", "Speckled oat", "Midnight", "Terracotta"}
	out := make([]store.ListingSnapshot, 0, n)
	for i := range n {
		vars := make([]Variation, v)
		for p := range v {
			vars[p] = Variation{Name: "Colour: " + colours[p%len(colours)], SKU: fmt.Sprintf("SR-%06d-%02d", i, p), Quantity: (i*7 + p*3) % 40}
		}
		out = append(out, Listing(int64(1_000_000+i), fmt.Sprintf("Handmade %s no. %d", items[i%len(items)], i), vars...))
	}
	return out
}

// namedKeys are the keys Key knows by name.
var namedKeys = map[string]tea.KeyPressMsg{
	"enter":     {Code: tea.KeyEnter},
	"esc":       {Code: tea.KeyEscape},
	"backspace": {Code: tea.KeyBackspace},
	"up":        {Code: tea.KeyUp},
	"down":      {Code: tea.KeyDown},
	"left":      {Code: tea.KeyLeft},
	"right":     {Code: tea.KeyRight},
	"tab":       {Code: tea.KeyTab},
	"shift+tab": {Code: tea.KeyTab, Mod: tea.ModShift},
	"pgup":      {Code: tea.KeyPgUp},
	"pgdown":    {Code: tea.KeyPgDown},
	"space":     {Code: tea.KeySpace, Text: " "},
	"ctrl+c":    {Code: 'c', Mod: tea.ModCtrl},
}

// Live hands c the hub event ev as a session's live feed does and returns
// the command c answers with (nil: the event is not c's concern).
func Live(c common.Component, ev hub.Event) tea.Cmd {
	_, cmd := c.Update(common.LiveMsg{Event: ev})
	return cmd
}

// Plain is c's frame as the seller reads it: its View without styling.
func Plain(c common.Component) string { return ansi.Strip(c.View()) }

// Map is f of each of xs, in order: a test's view of one field of the
// rows a screen holds.
func Map[T, V any](xs []T, f func(T) V) []V {
	out := make([]V, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// Key is the key press s names: a printable character, or enter, esc,
// backspace, up, down, left, right, tab, shift+tab, pgup, pgdown, space,
// ctrl+c.
func Key(s string) tea.KeyPressMsg {
	if k, ok := namedKeys[s]; ok {
		return k
	}
	r := []rune(s)
	if len(r) != 1 {
		panic("tuitest: unknown key " + s)
	}
	return tea.KeyPressMsg{Code: r[0], Text: s}
}

// Keys is one key press per rune of s.
func Keys(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, Key(string(r)))
	}
	return out
}

// Run resolves a command the way the Bubble Tea loop would, returning the
// messages it produced (batches flattened). A command that does not answer
// within wait (a subscription waiting for an event) is left running and
// produces nothing.
func Run(cmd tea.Cmd, wait time.Duration) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg, ok := answer(cmd, wait)
	if !ok {
		return nil
	}
	switch msg := msg.(type) {
	case nil:
		return nil
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, Run(c, wait)...)
		}
		return out
	}
	return []tea.Msg{msg}
}

// answer runs cmd off the caller's goroutine, as the Bubble Tea loop does,
// and returns its message, or false when it has not answered within wait
// (it is left running).
func answer(cmd tea.Cmd, wait time.Duration) (tea.Msg, bool) {
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	select {
	case msg := <-ch:
		return msg, true
	case <-time.After(wait):
		return nil, false
	}
}

// Updater is a screen or the root model.
type Updater[M any] interface {
	Update(tea.Msg) (M, tea.Cmd)
}

// Drive sends msgs to m one by one and feeds back every message their
// commands produce until none is left, like the Bubble Tea loop.
func Drive[M Updater[M]](m M, wait time.Duration, msgs ...tea.Msg) M {
	queue := append([]tea.Msg(nil), msgs...)
	for len(queue) > 0 {
		msg := queue[0]
		queue = queue[1:]
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		queue = append(Run(cmd, wait), queue...)
	}
	return m
}

// Settle runs cmd and feeds every message it produces back to c, until none
// is left. A command that does not answer within a few seconds fails the
// test.
func Settle(tb testing.TB, c common.Component, cmd tea.Cmd) {
	tb.Helper()
	if cmd == nil {
		return
	}
	// The screens Settle serves start no timers or subscriptions: a
	// command slower than Wait is a hang.
	msg, ok := answer(cmd, Wait)
	if !ok {
		tb.Fatal("a command did not return: the screen must not start timers")
	}
	switch msg := msg.(type) {
	case nil:
	case tea.BatchMsg:
		for _, cmd := range msg {
			Settle(tb, c, cmd)
		}
	default:
		_, next := c.Update(msg)
		Settle(tb, c, next)
	}
}

// Open sizes screen m to width × height, as the root does, and settles the
// command load starts on it: the screen's Init, or Store for a screen that
// shows one store.
func Open[M common.Component](tb testing.TB, m M, width, height int, load func(M) tea.Cmd) M {
	tb.Helper()
	m.SetSize(width, height)
	Settle(tb, m, load(m))
	return m
}

// Store is Open's load for a screen that shows one store: SetStore(id).
func Store[M interface{ SetStore(int64) tea.Cmd }](id int64) func(M) tea.Cmd {
	return func(m M) tea.Cmd { return m.SetStore(id) }
}

// OpenShop is the screen newScreen builds for the shop's session on a
// terminal of 120×30, showing the shop's store, loaded.
func OpenShop[M interface {
	common.Component
	SetStore(int64) tea.Cmd
}](tb testing.TB, s *Shop, newScreen func(*common.Common) M) M {
	tb.Helper()
	return Open(tb, newScreen(s.Session(120, 30)), 120, 30, Store[M](s.Store.ID))
}

// Press sends the named keys (see Key) to c one by one, settling after
// each.
func Press(tb testing.TB, c common.Component, keys ...string) {
	tb.Helper()
	for _, k := range keys {
		_, cmd := c.Update(Key(k))
		Settle(tb, c, cmd)
	}
}

// BenchKeypress is a benchmark of one press of the key k (see Key) on c
// and the View that follows it, as the Bubble Tea loop runs them. rewind
// runs before each press: it puts the cursor back at the top once the
// press can move it no further, so every press costs a move.
func BenchKeypress(b *testing.B, c common.Component, k string, rewind func()) {
	press := Key(k)
	c.View()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rewind()
		c, _ = c.Update(press)
		_ = c.View()
	}
}

// saleAt is when receipt r of n is made, n spread evenly over the 30
// days before Epoch. The step is divided first: r times the span
// overflows a Duration from r = 3,559 on, which put a 200,000-line shop's
// sales within two days either side of the period's start.
func saleAt(r, n int) time.Time {
	const span = 30 * 24 * time.Hour
	return Epoch.Add(-span + span/time.Duration(n)*time.Duration(r))
}

// Sales writes receipts of lines receipt lines in all to the store, for
// listings made by Catalogue(n, v): each receipt has 4 lines of different
// variations, spread evenly over the 30 days before Epoch.
func (e *Env) Sales(tb testing.TB, storeID int64, n, v, lines int) {
	tb.Helper()
	const perReceipt, page = 4, 500
	var batch []store.Receipt
	flush := func() {
		if _, err := e.DB.SyncReceiptsWrite(context.Background(), &store.SyncReceiptsWriteParams{StoreID: storeID, Receipts: batch}); err != nil {
			tb.Fatal(err)
		}
		batch = batch[:0]
	}
	receipts := lines / perReceipt
	for r := range receipts {
		at := saleAt(r, receipts)
		rc := store.Receipt{EtsyReceiptID: int64(r + 1), Status: "paid", IsPaid: true, CreatedAt: at, UpdatedAt: at}
		for j := range perReceipt {
			k := (r*perReceipt + j) * 7919 % (n * v) // scattered over the catalogue
			id := int64(1_000_000 + k/v)
			rc.Items = append(rc.Items, store.ReceiptItem{EtsyTransactionID: int64(r*perReceipt + j + 1), EtsyListingID: id,
				EtsyProductID: id*10 + int64(k%v), SKU: fmt.Sprintf("SR-%06d-%02d", k/v, k%v), Quantity: 1 + j%2,
				Price: store.Money{Amount: 2500, Divisor: 100, Currency: "USD"}})
		}
		batch = append(batch, rc)
		if len(batch) == page {
			flush()
		}
	}
	if len(batch) > 0 {
		flush()
	}
}
