// How a shop is doing: sales, what runs out first, sync health.
package app

import (
	"cmp"
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/stockroom/stockroom/cover"
	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/store"
)

// SparkDays is how many days of sales the dashboard draws.
const SparkDays = 30

// SalesTotal is what was sold over a period. Revenue is in hundredths of
// Currency; Currency is empty when stores with different currencies are
// added up, and then Revenue means nothing.
type SalesTotal struct {
	Units    int
	Revenue  int64
	Currency string
}

// Dashboard is one store's figures, or all of an account's stores
// together (Store zero).
type Dashboard struct {
	Store store.MemberStore
	// Stores are the stores added up (one for a single store).
	Stores []store.MemberStore
	Now    time.Time
	// Days is the period velocity is counted over.
	Days int
	// Today, Week and Month are the UTC day so far, the last 7 and the
	// last 30 days (today included).
	Today, Week, Month SalesTotal
	// Daily has one entry per day of the last SparkDays, oldest first.
	Daily []store.DaySales
	// Cover is every live variation, "runs out first" (in row order when
	// asked for with DashboardParams.Unsorted).
	Cover []Cover
	// unsorted: Cover is in row order, RunsOutFirst selects.
	unsorted bool
	// Low and Out count the rows at or under their threshold (out
	// included) and the sold-out ones.
	Low, Out int
	// Pending counts the edits not yet on Etsy.
	Pending int
	// Sync health: the last run, when the next is about due, the last
	// error; Budget is Etsy's daily budget as last seen (per store).
	LastRun   *store.SyncRun
	NextSync  time.Time
	LastError string
	Budget    etsy.Budget
}

// TopSellers returns up to n variations by units sold in the period, then
// revenue, then "runs out first" (the order equals have in a sorted
// Cover, whether or not Cover is sorted). A selection of n, not a sort of
// every seller: a shop may have 50,000.
func (d *Dashboard) TopSellers(n int) []Cover {
	before := func(a, b Cover) bool { // a strictly ahead of b
		return a.Units > b.Units || a.Units == b.Units && (a.Revenue > b.Revenue ||
			a.Revenue == b.Revenue && d.unsorted && cover.RunsOutFirst(a, b) < 0)
	}
	top := make([]Cover, 0, max(n, 0))
	for _, c := range d.Cover {
		if c.Units <= 0 || n <= 0 || len(top) == n && !before(c, top[n-1]) {
			continue
		}
		// After every one it is not strictly ahead of, as a stable
		// sort puts it.
		i := len(top)
		for i > 0 && before(c, top[i-1]) {
			i--
		}
		if len(top) < n {
			top = append(top, Cover{})
		}
		copy(top[i+1:], top[i:len(top)-1])
		top[i] = c
	}
	return top
}

// RunsOutFirst returns up to n variations that sell or are sold out, the
// fewest days of cover first.
func (d *Dashboard) RunsOutFirst(n int) []Cover {
	if d.unsorted {
		return cover.First(d.Cover, n, Cover.Sells)
	}
	var out []Cover
	for _, c := range d.Cover {
		if len(out) == n {
			break
		}
		if c.Sells() {
			out = append(out, c)
		}
	}
	return out
}

// DashboardParams chooses the store (0 for all the actor's stores) and
// the period velocity is counted over (default 30 days).
type DashboardParams struct {
	StoreID int64
	Days    int
	// Rows, when set, gives a store's inventory rows (a TUI session passes
	// its shared Snapshot, already in memory); otherwise they are read.
	Rows func(storeID int64) ([]*store.InventoryRow, error)
	// Member, when set, is the caller's own check of the actor's access
	// to StoreID (a TUI session's, which its live subscription keeps
	// standing: Snapshots.OpenSince), taken instead of reading the
	// account and the membership again.
	Member func(storeID int64) (store.MemberStore, error)
	// Unsorted leaves Cover in row order: a screen that draws a few rows
	// selects them with RunsOutFirst rather than sorting 50,000.
	Unsorted bool
}

// Dashboard computes a store's figures, or every store's added up. Sales
// come from the sums the store keeps as receipts are written, never from
// reading every receipt line.
func (s *Service) Dashboard(ctx context.Context, a Actor, p DashboardParams) (Dashboard, error) {
	if p.Days < 0 || p.Days > MaxCoverDays {
		return Dashboard{}, &DaysError{Days: p.Days}
	}
	p.Days = cmp.Or(p.Days, DefaultCoverDays)
	if p.StoreID != 0 {
		member := p.Member
		if member == nil {
			member = func(storeID int64) (store.MemberStore, error) { return s.member(ctx, a, storeID) }
		}
		m, err := member(p.StoreID)
		if err != nil {
			return Dashboard{}, err
		}
		return s.storeDashboard(ctx, a, m, p)
	}
	if _, err := s.active(ctx, a); err != nil {
		return Dashboard{}, err
	}
	ms, err := s.db.StoreListForAccount(ctx, a.Account.ID)
	if err != nil {
		return Dashboard{}, err
	}
	if len(ms) == 0 {
		return Dashboard{}, ErrNoStore
	}
	parts := make([]Dashboard, 0, len(ms))
	for _, m := range ms {
		d, err := s.storeDashboard(ctx, a, m, p)
		if err != nil {
			return Dashboard{}, err
		}
		parts = append(parts, d)
	}
	return combineDashboards(parts), nil
}

// DaysError refuses a period outside 1..MaxCoverDays.
type DaysError struct{ Days int }

func (e *DaysError) Error() string {
	return "a period of " + strconv.Itoa(e.Days) + " days is outside 1 to " + strconv.Itoa(MaxCoverDays)
}

func (s *Service) storeDashboard(ctx context.Context, a Actor, m store.MemberStore, p DashboardParams) (Dashboard, error) {
	now, days := s.now().UTC(), p.Days
	d := Dashboard{Store: m, Stores: []store.MemberStore{m}, Now: now, Days: days, unsorted: p.Unsorted}
	var rows []*store.InventoryRow
	var rowsRead chan error // the rows being read beside the sales
	if p.Rows != nil {
		var err error
		if rows, err = p.Rows(m.ID); err != nil {
			return d, err
		}
	} else {
		// Kept while the store's inventory version stands: a report on an
		// unchanged shop reads one number, no row; after an edit or a
		// removal, the rows it changed and removed. Read on a connection
		// of its own while the sales are read: the first report after a
		// start reads every row and every sum, and the two do not wait
		// for each other.
		lp := &store.InventoryListParams{AccountID: a.Account.ID, StoreID: m.ID}
		rowsRead = make(chan error, 1)
		go func() {
			var err error
			rows, err = s.coverRows.get(m.Store, coverReads{
				version: func() (store.InventoryVersion, error) { return s.db.InventoryVersion(ctx, m.ID) },
				all: func() ([]*store.InventoryRow, error) {
					list, err := s.db.CoverRowList(ctx, lp)
					return rowPointers(list), err
				},
				changed: func(since int64) ([]*store.InventoryRow, error) {
					list, err := s.db.CoverRowChangedList(ctx, lp, since)
					return rowPointers(list), err
				},
				removed: func(since int64) ([]int64, bool, error) {
					return s.db.CoverRowRemovedList(ctx, lp, since)
				},
			})
			rowsRead <- err
		}()
	}
	today := now.Truncate(24 * time.Hour)
	period := func(now time.Time) *store.SalesRangeParams {
		return &store.SalesRangeParams{AccountID: a.Account.ID, StoreID: m.ID, Since: now.Add(-time.Duration(days) * 24 * time.Hour), Now: now}
	}
	byDayOf := func(now time.Time) ([]store.DaySales, error) {
		return s.db.SalesByDayList(ctx, &store.SalesRangeParams{AccountID: a.Account.ID, StoreID: m.ID,
			Since: now.Truncate(24*time.Hour).AddDate(0, 0, -(SparkDays - 1)), Now: now})
	}
	sales, byDay, err := s.sales.get(m.Store, days, now, salesReads{
		all: func(now time.Time) ([]store.ProductSales, []store.DaySales, error) {
			sales, err := s.db.SalesByProductList(ctx, period(now))
			if err != nil {
				return nil, nil, err
			}
			byDay, err := byDayOf(now)
			return sales, byDay, err
		},
		changed: func(now time.Time, version int64) ([]store.ProductSales, []store.DaySales, error) {
			sales, err := s.db.SalesByProductChangedList(ctx, period(now), version)
			if err != nil {
				return nil, nil, err
			}
			byDay, err := byDayOf(now)
			return sales, byDay, err
		}})
	if rowsRead != nil {
		// Waited for before any return: rows is the goroutine's until then.
		if rerr := <-rowsRead; err == nil {
			err = rerr
		}
	}
	if err != nil {
		return d, err
	}
	d.Daily = fillDays(byDay, today)
	d.Today, d.Week, d.Month = totals(d.Daily, m.Currency)
	cp := CoverParams{Days: days, Target: m.TargetCoverDays, Now: now}
	if p.Unsorted {
		d.Cover = cover.Unsorted(rows, sales, cp)
	} else {
		d.Cover = ComputeCover(rows, sales, cp)
	}
	for _, c := range d.Cover {
		if c.Row.Low() {
			d.Low++
		}
		if c.Row.Shown() <= 0 {
			d.Out++
		}
		if c.Row.Pending() {
			d.Pending++
		}
	}
	runs, err := s.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.Account.ID, StoreID: m.ID, Limit: 1})
	if err != nil {
		return d, err
	}
	if len(runs) == 1 {
		d.LastRun = &runs[0]
	}
	d.LastError = m.LastError
	if !m.LastSyncAt.IsZero() && m.Status == store.StatusConnected {
		d.NextSync = m.LastSyncAt.Add(cmp.Or(m.SyncInterval, s.syncEvery))
	}
	if s.budgets != nil {
		d.Budget = s.budgets.Budget(etsy.StoreKey(m.ID))
	}
	return d, nil
}

// rowPointers points at each row of list.
func rowPointers(list []store.InventoryRow) []*store.InventoryRow {
	rows := make([]*store.InventoryRow, len(list))
	for i := range list {
		rows[i] = &list[i]
	}
	return rows
}

// fillDays gives every day of the spark its entry, zero when nothing sold.
func fillDays(byDay []store.DaySales, today time.Time) []store.DaySales {
	out := make([]store.DaySales, SparkDays)
	first := today.AddDate(0, 0, -(SparkDays - 1))
	for i := range out {
		out[i].Day = first.AddDate(0, 0, i)
	}
	for _, x := range byDay {
		i := int(x.Day.Sub(first) / (24 * time.Hour))
		if i >= 0 && i < SparkDays {
			out[i].Units += x.Units
			out[i].Revenue += x.Revenue
		}
	}
	return out
}

func totals(daily []store.DaySales, currency string) (today, week, month SalesTotal) {
	today.Currency, week.Currency, month.Currency = currency, currency, currency
	for i, x := range daily {
		age := len(daily) - 1 - i
		if age == 0 {
			today.Units, today.Revenue = today.Units+x.Units, today.Revenue+x.Revenue
		}
		if age < 7 {
			week.Units, week.Revenue = week.Units+x.Units, week.Revenue+x.Revenue
		}
		month.Units, month.Revenue = month.Units+x.Units, month.Revenue+x.Revenue
	}
	return today, week, month
}

// combineDashboards adds stores up. Revenue in different currencies is not
// added: its currency is left empty.
func combineDashboards(parts []Dashboard) Dashboard {
	if len(parts) == 1 {
		return parts[0]
	}
	d := Dashboard{Now: parts[0].Now, Days: parts[0].Days, Daily: make([]store.DaySales, SparkDays), unsorted: parts[0].unsorted}
	add := func(dst *SalesTotal, src SalesTotal, first bool) {
		if first {
			dst.Currency = src.Currency
		} else if dst.Currency != src.Currency {
			dst.Currency = ""
		}
		dst.Units += src.Units
		dst.Revenue += src.Revenue
	}
	for i, p := range parts {
		d.Stores = append(d.Stores, p.Store)
		add(&d.Today, p.Today, i == 0)
		add(&d.Week, p.Week, i == 0)
		add(&d.Month, p.Month, i == 0)
		for j, x := range p.Daily {
			d.Daily[j].Day = x.Day
			d.Daily[j].Units += x.Units
			d.Daily[j].Revenue += x.Revenue
		}
		d.Cover = append(d.Cover, p.Cover...)
		d.Low, d.Out, d.Pending = d.Low+p.Low, d.Out+p.Out, d.Pending+p.Pending
		if p.LastRun != nil && (d.LastRun == nil || p.LastRun.StartedAt.After(d.LastRun.StartedAt)) {
			d.LastRun = p.LastRun
		}
		if !p.NextSync.IsZero() && (d.NextSync.IsZero() || p.NextSync.Before(d.NextSync)) {
			d.NextSync = p.NextSync
		}
		if p.LastError != "" {
			d.LastError = p.Store.Name + ": " + p.LastError
		}
		if p.Budget.Known && (!d.Budget.Known || p.Budget.RemainingToday < d.Budget.RemainingToday) {
			d.Budget = p.Budget
		}
	}
	if !d.unsorted {
		d.Cover = cover.Sort(d.Cover)
	}
	return d
}

// salesCache keeps each store's latest sales sums. The store moves its
// SalesVersion whenever its sums change (receipts written), so sums read at
// the same version, in the same minute (the period's start moves with the
// clock), are still right: a home screen redrawn on every stock edit or
// after a sync that brought no sale reads nothing again. After a sale, in
// the same minute, only the products the writes touched are read again
// and replaced in a copy of the list. One entry per store and period.
type salesCache struct {
	mu sync.Mutex
	m  map[salesKey]salesSums
}

type salesKey struct {
	storeID int64
	days    int
}

type salesSums struct {
	minute int64     // the period's end, in minutes
	now    time.Time // the clock the sums were read at
	// version is the store's SalesVersion as read before the sums: a
	// write that lands during the read moves it past this, and its
	// products are read again next time.
	version   int64
	byProduct []store.ProductSales
	byDay     []store.DaySales
}

// salesReads read a store's sums as of a clock: all of them, or the
// products changed after a version (with every day).
type salesReads struct {
	all     func(now time.Time) ([]store.ProductSales, []store.DaySales, error)
	changed func(now time.Time, version int64) ([]store.ProductSales, []store.DaySales, error)
}

func (c *salesCache) get(st store.Store, days int, now time.Time, r salesReads) ([]store.ProductSales, []store.DaySales, error) {
	k := salesKey{st.ID, days}
	minute := now.Unix() / 60
	c.mu.Lock()
	v, ok := c.m[k]
	c.mu.Unlock()
	ok = ok && v.minute == minute
	if ok && v.version >= st.SalesVersion {
		return v.byProduct, v.byDay, nil
	}
	next := salesSums{minute: minute, now: now, version: st.SalesVersion}
	var err error
	if ok {
		var changed []store.ProductSales
		if changed, next.byDay, err = r.changed(v.now, v.version); err == nil {
			next.now, next.byProduct = v.now, patchSales(v.byProduct, changed)
		}
	} else {
		next.byProduct, next.byDay, err = r.all(now)
	}
	if err != nil {
		return nil, nil, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[salesKey]salesSums{}
	}
	c.m[k] = next
	c.mu.Unlock()
	return next.byProduct, next.byDay, nil
}

// patchSales returns a copy of list (shared with other readers: never
// modified) with the changed products' entries replaced; one with no
// units and no revenue no longer sold and is left out.
func patchSales(list, changed []store.ProductSales) []store.ProductSales {
	key := func(x store.ProductSales) store.ProductSales {
		x.Units, x.Revenue = 0, 0
		return x
	}
	gone := make(map[store.ProductSales]bool, len(changed))
	for _, x := range changed {
		gone[key(x)] = true
	}
	out := make([]store.ProductSales, 0, len(list)+len(changed))
	for _, x := range list {
		if !gone[key(x)] {
			out = append(out, x)
		}
	}
	for _, x := range changed {
		if x.Units != 0 || x.Revenue != 0 {
			out = append(out, x)
		}
	}
	return out
}
