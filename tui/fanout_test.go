package tui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// BenchmarkMemberJoinFanout: another account joins a store that many
// sessions show on Inventory. Every one of them receives the event; the
// figure is what one session spends on it (Update, then View, as Bubble
// Tea draws after every message). It reads nothing: a join once made the
// next new session of a 1,000-session server wait 2.5 s while every open
// session re-read its screens.
//
//	go test ./tui -run '^$' -bench MemberJoinFanout
func BenchmarkMemberJoinFanout(b *testing.B) {
	listings := make([]store.ListingSnapshot, 200)
	for i := range listings {
		listings[i] = tuitest.Listing(int64(i+1), fmt.Sprintf("Mug %d", i), V{Name: "Colour: Oat", SKU: fmt.Sprintf("MUG-%d", i), Quantity: i})
	}
	env := tuitest.New(b, listings, tuitest.Options{})
	l := newLoop(b, New(session(env, &env.Owner, "inventory", nil)), 120, 40)
	l.settle("the inventory", func() bool { return strings.Contains(l.plain(), "MUG-") && l.root().sub != nil })
	l.quiet()
	m := l.root()
	join := liveMsg{sub: m.sub, ok: true, event: hub.Event{Kind: hub.MembersChanged, StoreID: env.StoreID, AccountID: env.Owner.Account.ID + 1}}
	before := l.frame()
	for b.Loop() {
		_, cmd := m.Update(join)
		_ = m.View()
		if cmd == nil {
			b.Fatal("the session stopped listening")
		}
	}
	if l.frame() != before {
		b.Error("a join of another account changed the frame")
	}
}
