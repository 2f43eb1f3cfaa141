package uv

import (
	"reflect"
	"strings"
	"testing"
)

// Stockroom patch: every new reader shares one key table, and it is the
// table each would have built for itself, whatever its terminal type.
func TestNewTerminalReader_sharesTheKeyTable(t *testing.T) {
	var tables []map[string]Key
	for _, term := range []string{"xterm-256color", "dumb", "screen", "tmux-256color", "linux", ""} {
		d := NewTerminalReader(strings.NewReader(""), term)
		if !reflect.DeepEqual(d.table, buildKeysTable(d.Legacy, term, d.UseTerminfo)) {
			t.Fatalf("TERM=%q: the shared table differs from the one the reader would build", term)
		}
		if d.eventScanner.table == nil || reflect.ValueOf(d.eventScanner.table).UnsafePointer() != reflect.ValueOf(d.table).UnsafePointer() {
			t.Fatalf("TERM=%q: the scanner does not read the reader's table", term)
		}
		tables = append(tables, d.table)
	}
	for _, tb := range tables[1:] {
		if reflect.ValueOf(tb).UnsafePointer() != reflect.ValueOf(tables[0]).UnsafePointer() {
			t.Fatal("two readers built tables of their own")
		}
	}
}

// Stockroom patch: a new buffer's lines share one allocation, yet each is
// its own: blank, and growing one (a wider Resize) never writes into the
// next. Clear blanks every cell again.
func TestNewBuffer_linesAreBlankAndApart(t *testing.T) {
	const w, h = 5, 3
	b := NewBuffer(w, h)
	if b.Width() != w || b.Height() != h {
		t.Fatalf("NewBuffer(%d, %d) is %dx%d", w, h, b.Width(), b.Height())
	}
	for y, l := range b.Lines {
		for x := range l {
			if l[x] != EmptyCell {
				t.Fatalf("cell %d,%d of a new buffer is %#v, want EmptyCell", x, y, l[x])
			}
		}
	}
	mark := Cell{Content: "y", Width: 1}
	for y := range h {
		for x := range w {
			b.SetCell(x, y, &mark)
		}
	}
	b.Resize(2, h)
	b.Resize(w+2, h)
	for y := 1; y < h; y++ {
		for x := range 2 {
			if c := b.CellAt(x, y); c == nil || c.Content != "y" {
				t.Fatalf("widening line %d wrote over cell %d,%d: %#v", y-1, x, y, c)
			}
		}
	}
	for y, l := range b.Lines {
		if len(l) != w+2 {
			t.Fatalf("line %d is %d wide, want %d", y, len(l), w+2)
		}
		for x := 2; x < w+2; x++ {
			if l[x] != EmptyCell {
				t.Fatalf("widened cell %d,%d is %#v, want EmptyCell", x, y, l[x])
			}
		}
	}
	b.Clear()
	for y, l := range b.Lines {
		for x := range l {
			if l[x] != EmptyCell {
				t.Fatalf("cell %d,%d after Clear is %#v, want EmptyCell", x, y, l[x])
			}
		}
	}
}
