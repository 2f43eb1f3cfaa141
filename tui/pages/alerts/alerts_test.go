package alerts

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/tui/common"
)

var now = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func product(key string, qty int, title string) store.ListingSnapshot {
	return store.ListingSnapshot{EtsyListingID: int64(len(key) * 1000), Title: title, State: "active", Quantity: qty, UpdatedAt: now,
		Products: []store.ProductSnapshot{{Key: key, EtsyProductID: int64(len(key)*1000) + 1, SKU: key, Variation: "",
			PropertyValues: "[]", EtsyOfferingID: int64(len(key)*1000) + 2, Quantity: qty,
			Price: store.Money{Amount: 100, Divisor: 100, Currency: "USD"}, Enabled: true}}}
}

func TestLowRowsEmptiestFirstAndReload(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "stockroom.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	acct, err := db.AccountCreate(ctx, &store.AccountCreateParams{Name: "Ada", Fingerprint: "SHA256:ada", PublicKey: "ssh-ed25519 AAAAada", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	st, err := db.StoreConnect(ctx, &store.StoreConnectParams{AccountID: acct.ID, EtsyShopID: 9, Name: "Mugs", Currency: "USD", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	write := func(ls ...store.ListingSnapshot) {
		if _, err := db.SyncListingsWrite(ctx, &store.SyncListingsWriteParams{StoreID: st.ID, Listings: ls, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	write(product("PLENTY", 50, "Big mug"), product("ONE", 1, "Small mug\x1b]52;c;Zm9v\x07 blue"), product("NONE", 0, "Teapot"))
	svc := app.New(app.Config{Store: db, Now: func() time.Time { return now }})
	c := &common.Common{Ctx: ctx, App: svc, Actor: app.Actor{Account: acct}, Styles: common.NewStyles(true), Keys: common.DefaultKeyMap(),
		Now: func() time.Time { return now }, Width: 120, Height: 20}
	m := New(c)
	m.SetSize(120, 20)
	m.Update(m.SetStore(st.ID)())
	rows := m.Rows()
	if len(rows) != 2 || rows[0].SKU != "NONE" || rows[1].SKU != "ONE" {
		t.Fatalf("low rows: %+v", rows)
	}
	v := m.View()
	if strings.Contains(v, "\x1b]52") || !strings.Contains(ansi.Strip(v), "Small mug blue") || strings.Contains(ansi.Strip(v), "Big mug") {
		t.Fatalf("view:\n%q", v)
	}
	if !strings.Contains(ansi.Strip(v), "1 out of stock") {
		t.Fatalf("no out-of-stock count:\n%s", ansi.Strip(v))
	}
	write(product("NONE", 0, "Teapot"), product("ONE", 40, "Small mug blue"))
	if _, cmd := m.Update(common.LiveMsg{Event: hub.Event{Kind: hub.StockChanged, StoreID: st.ID + 1}}); cmd != nil {
		t.Fatal("another store's change reloaded")
	}
	_, cmd := m.Update(common.LiveMsg{Event: hub.Event{Kind: hub.SyncFinished, StoreID: st.ID}})
	m.Update(cmd())
	if len(m.Rows()) != 1 || m.Rows()[0].SKU != "NONE" {
		t.Fatalf("after restock: %+v", m.Rows())
	}
	_, cmd = m.Update(tea.KeyPressMsg{Code: 'r', Text: "r"})
	if cmd == nil {
		t.Fatal("r does not reload")
	}
}
