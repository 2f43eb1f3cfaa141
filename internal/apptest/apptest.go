// Package apptest holds what tests that drive an app.Service share.
package apptest

import (
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/store"
)

// Row is the inventory row of sku in store storeID as a sees it (the
// first, when the SKU is shared), read the way a screen or command reads it.
func Row(t testing.TB, svc *app.Service, a app.Actor, storeID int64, sku string) store.InventoryRow {
	t.Helper()
	rows, err := svc.Inventory(t.Context(), a, storeID)
	if err != nil {
		t.Fatal(err)
	}
	found, err := app.FindRows(rows, sku)
	if err != nil {
		t.Fatal(err)
	}
	return found[0]
}
