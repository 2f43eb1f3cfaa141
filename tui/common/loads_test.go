package common

import (
	"errors"
	"testing"

	tea "charm.land/bubbletea/v2"
)

func TestLoadsDropsTheAnswerToAnOlderRead(t *testing.T) {
	var l Loads
	first := l.Start()
	second := l.Start() // a new filter while the first read is out
	if !l.Loading() {
		t.Fatal("not loading with two reads out")
	}
	if l.Done(first) {
		t.Fatal("the older read's answer was taken")
	}
	if !l.Loading() {
		t.Fatal("a stale answer ended the loading")
	}
	if !l.Done(second) || l.Loading() {
		t.Fatalf("the newest answer: loading %v after it", l.Loading())
	}
}

func TestLoadsResetMakesReadsOutStale(t *testing.T) {
	var l Loads
	seq := l.Start()
	l.Reset() // the store changed
	if l.Loading() {
		t.Fatal("loading after a reset")
	}
	if l.Fresh(seq) || l.Done(seq) {
		t.Fatal("an answer from before the reset was taken")
	}
}

func TestLoadsBeginKeepsReadsOut(t *testing.T) {
	var l Loads
	refresh := l.Seq() // a quiet refresh, not shown as loading
	page := l.Begin()  // then the next page
	if !l.Loading() {
		t.Fatal("a page read is not shown as loading")
	}
	if !l.Fresh(refresh) {
		t.Fatal("beginning a page made the refresh stale")
	}
	if !l.Done(page) || l.Loading() {
		t.Fatal("the page's answer did not end the loading")
	}
}

func TestLoadsTakeAppliesOnlyAWantedAnswerWithoutError(t *testing.T) {
	var l Loads
	var shown error
	applied := 0
	apply := func() { applied++ }
	old := l.Start()
	seq := l.Start()
	if l.Take(old, errors.New("old"), &shown, apply) || shown != nil || applied != 0 {
		t.Fatalf("a stale answer was taken: shown %v, applied %d", shown, applied)
	}
	failed := errors.New("refused")
	if !l.Take(seq, failed, &shown, apply) || shown != failed || applied != 0 || l.Loading() {
		t.Fatalf("a failed answer: shown %v, applied %d, loading %v", shown, applied, l.Loading())
	}
	seq = l.Start()
	if !l.Take(seq, nil, &shown, apply) || shown != nil || applied != 1 {
		t.Fatalf("a good answer: shown %v, applied %d", shown, applied)
	}
}

func TestLoadsReadStoreReadsNothingWithoutAStore(t *testing.T) {
	var l Loads
	c := &Common{Width: 80}
	if cmd := l.ReadStore(c, 0, func(*Common, int64, int) tea.Msg { return nil }); cmd != nil || l.Loading() {
		t.Fatalf("no store: command %v, loading %v", cmd != nil, l.Loading())
	}
	cmd := l.ReadStore(c, 7, func(c *Common, storeID int64, seq int) tea.Msg { return [3]int{c.Width, int(storeID), seq} })
	c.Width = 120 // Update changes the session after the read started
	if !l.Loading() {
		t.Fatal("a store's read is not shown as loading")
	}
	if got, want := cmd(), [3]int{80, 7, l.Seq()}; got != want {
		t.Fatalf("the read saw %v, want %v (the session as it was, the store, the newest number)", got, want)
	}
}
