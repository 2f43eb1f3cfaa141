package storetest

import (
	"testing"

	"github.com/stockroom/stockroom/store"
)

// Issue 17: the first sync after connecting was recorded as manual.
func init() {
	syncRunTests["ConnectTrigger"] = func(t *testing.T, h *harness) {
		ctx := t.Context()
		a, st := h.owner(t, "conny", 1190)
		run, err := h.db.SyncRunStart(ctx, &store.SyncRunStartParams{StoreID: st.ID, Kind: store.SyncFull, Trigger: store.TriggerConnect, Now: h.now})
		noErr(t, err, "start")
		runs, err := h.db.SyncRunList(ctx, &store.SyncRunListParams{AccountID: a.ID, StoreID: st.ID})
		noErr(t, err, "list")
		if len(runs) != 1 || runs[0].ID != run.ID || runs[0].Trigger != store.TriggerConnect {
			t.Fatalf("runs %+v", runs)
		}
	}
}
