package common

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

func TestBusyMarksTheTitleOnlyWhileAReadIsOut(t *testing.T) {
	s := NewStyles(true)
	var l Loads
	if got := ansi.Strip(s.Busy("Sales", &l)); got != "Sales" {
		t.Fatalf("no read out: %q", got)
	}
	seq := l.Start()
	if got := ansi.Strip(s.Busy("Sales", &l)); got != "Sales · loading…" {
		t.Fatalf("a read out: %q", got)
	}
	l.Done(seq)
	if got := ansi.Strip(s.Busy("Sales", &l)); got != "Sales" {
		t.Fatalf("after the answer: %q", got)
	}
}

func TestUnavailableSaysWhyTheRowsAreNotShown(t *testing.T) {
	s := NewStyles(true)
	if got := s.Unavailable(nil, 7, 80); got != "" {
		t.Fatalf("a store and no error: %q", got)
	}
	if got := ansi.Strip(s.Unavailable(nil, 0, 80)); got != "No store selected." {
		t.Fatalf("no store: %q", got)
	}
	// The error wins over the missing store, and is cleaned: it can carry
	// Etsy's words.
	got := s.Unavailable(errors.New("refused\x1b[2J"), 0, 80)
	if plain := ansi.Strip(got); plain != "refused" || strings.Contains(got, "\x1b[2J") {
		t.Fatalf("an error: %q", got)
	}
}

func TestAgeAndAgo(t *testing.T) {
	for _, c := range []struct {
		d        time.Duration
		age, ago string
	}{
		{-time.Second, "0s", "just now"},
		{45 * time.Second, "45s", "just now"},
		{12 * time.Minute, "12m", "12m ago"},
		{3 * time.Hour, "3h", "3h ago"},
		{47 * time.Hour, "47h", "47h ago"},
		{50 * time.Hour, "2d", "2d ago"},
	} {
		if got := Age(c.d); got != c.age {
			t.Errorf("Age(%v) = %q, want %q", c.d, got, c.age)
		}
		if got := Ago(c.d); got != c.ago {
			t.Errorf("Ago(%v) = %q, want %q", c.d, got, c.ago)
		}
	}
}
