package storetest

import (
	"context"
	"sync/atomic"

	"github.com/stockroom/stockroom/store"
)

// Reads wraps a store and counts the reads a session's live update makes:
// access checks (the account, then its membership of the store) and
// inventory reads. Tests of the live-update fan-out use it to tell one
// read per event from one per session.
type Reads struct {
	store.DB
	Access, Rows atomic.Int64
}

func (d *Reads) AccountGetByID(ctx context.Context, id int64) (store.Account, error) {
	d.Access.Add(1)
	return d.DB.AccountGetByID(ctx, id)
}

func (d *Reads) StoreGetForAccount(ctx context.Context, accountID, storeID int64) (store.MemberStore, error) {
	d.Access.Add(1)
	return d.DB.StoreGetForAccount(ctx, accountID, storeID)
}

func (d *Reads) InventoryListByIDs(ctx context.Context, p *store.InventoryListByIDsParams) ([]store.InventoryRow, error) {
	d.Rows.Add(1)
	return d.DB.InventoryListByIDs(ctx, p)
}

func (d *Reads) InventoryList(ctx context.Context, p *store.InventoryListParams) ([]store.InventoryRow, error) {
	d.Rows.Add(1)
	return d.DB.InventoryList(ctx, p)
}

// Total is every read counted.
func (d *Reads) Total() int64 { return d.Access.Load() + d.Rows.Load() }
