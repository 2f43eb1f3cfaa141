package uv

import (
	"image/color"
	"reflect"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
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

// cellByCell is a ScreenBuffer that Draw clears cell by cell, as upstream.
type cellByCell struct{ ScreenBuffer }

// Stockroom patch: Draw clears a render buffer's whole lines at once, and
// leaves the cells and touched lines exactly as clearing cell by cell
// does, wide cells included, whatever was touched before; an area that
// does not span the lines is cleared cell by cell.
func TestStyledStringDraw_clearsLinesAsCellByCell(t *testing.T) {
	wide := Cell{Content: "界", Width: 2, Style: Style{Attrs: 1}}
	styled := Cell{Content: "a", Width: 1, Style: Style{Attrs: 2}, Link: Link{URL: "https://example.com"}}
	fill := func(seed int) ScreenBuffer {
		b := ScreenBuffer{RenderBuffer: NewRenderBuffer(9, 4)}
		for y := range 4 {
			for x := 0; x < 9; x++ {
				switch (x*7 + y*3 + seed) % 4 {
				case 0:
					b.SetCell(x, y, &wide)
					x++
				case 1:
					b.SetCell(x, y, &styled)
				}
			}
		}
		if seed%2 == 0 {
			// A wide cell in the last column, as a resize that narrowed
			// the line around it leaves.
			b.Lines[1][8] = wide
		}
		resetTouched(b.Touched)
		if seed%3 == 0 {
			b.TouchLine(2, 2, 3)
		}
		return b
	}
	areas := []Rectangle{Rect(0, 0, 9, 4), Rect(0, 1, 9, 2), Rect(-2, -1, 20, 10), Rect(0, 0, 5, 4), Rect(3, 0, 6, 4)}
	for seed := range 6 {
		for _, area := range areas {
			for _, text := range []string{"", "hi\n\x1b[1mthere\x1b[m 界"} {
				fast, slow := fill(seed), fill(seed)
				NewStyledString(text).Draw(fast, area)
				NewStyledString(text).Draw(cellByCell{slow}, area)
				if !reflect.DeepEqual(fast.Lines, slow.Lines) {
					t.Fatalf("seed %d area %v text %q: cells differ\nlines:      %q\ncell by cell %q", seed, area, text, Lines(fast.Lines).String(), Lines(slow.Lines).String())
				}
				if !reflect.DeepEqual(fast.Touched, slow.Touched) {
					for y := range fast.Touched {
						t.Logf("line %d: %+v vs cell by cell %+v", y, *fast.Touched[y], *slow.Touched[y])
					}
					t.Fatalf("seed %d area %v text %q: touched lines differ", seed, area, text)
				}
			}
		}
	}
}

// Stockroom patch: FillArea leaves every cell as setting them one by one
// does, for whole lines (one fill) and partial ones, narrow and wide cells.
func TestBufferFillArea_asCellByCell(t *testing.T) {
	wide := Cell{Content: "界", Width: 2, Style: Style{Attrs: 1}}
	styled := Cell{Content: "a", Width: 1, Style: Style{Attrs: 2}, Link: Link{URL: "https://example.com"}}
	zero := Cell{}
	fill := func(seed int) *Buffer {
		b := NewBuffer(9, 4)
		for y := range 4 {
			for x := 0; x < 9; x++ {
				switch (x*5 + y*3 + seed) % 3 {
				case 0:
					b.SetCell(x, y, &wide)
					x++
				case 1:
					b.SetCell(x, y, &styled)
				}
			}
		}
		b.Lines[2][8] = wide // a wide cell in the last column, as after a resize
		return b
	}
	areas := []Rectangle{Rect(0, 0, 9, 4), Rect(0, 1, 9, 2), Rect(-2, -1, 20, 10), Rect(0, 0, 5, 4), Rect(3, 0, 6, 4)}
	for seed := range 3 {
		for _, area := range areas {
			for _, c := range []*Cell{nil, &styled, &zero, &wide, {Content: " ", Width: 1, Style: Style{Bg: ansi.BasicColor(4)}}} {
				got, want := fill(seed), fill(seed)
				got.FillArea(c, area)
				cellWidth := 1
				if c != nil && c.Width > 1 {
					cellWidth = c.Width
				}
				for y := area.Min.Y; y < area.Max.Y; y++ {
					for x := area.Min.X; x < area.Max.X; x += cellWidth {
						want.SetCell(x, y, c)
					}
				}
				if !reflect.DeepEqual(got.Lines, want.Lines) {
					t.Fatalf("seed %d area %v cell %+v:\ngot  %q\nwant %q", seed, area, c, Lines(got.Lines).String(), Lines(want.Lines).String())
				}
			}
		}
	}
}

// Stockroom patch: Style.Equal answers as comparing each colour with
// colorEqual does, absent colours included.
func TestStyleEqual_asColorEqual(t *testing.T) {
	colors := []color.Color{nil, ansi.BasicColor(1), ansi.IndexedColor(1), ansi.IndexedColor(200), color.RGBA{R: 0x80, A: 0xff}}
	var styles []Style
	for _, fg := range colors {
		for _, bg := range colors {
			for _, ul := range colors[:3] {
				styles = append(styles, Style{Fg: fg, Bg: bg, UnderlineColor: ul})
			}
		}
	}
	styles = append(styles, Style{Attrs: 1}, Style{Underline: 1})
	for _, a := range styles {
		for _, b := range styles {
			want := a.Attrs == b.Attrs && a.Underline == b.Underline &&
				colorEqual(a.Fg, b.Fg) && colorEqual(a.Bg, b.Bg) && colorEqual(a.UnderlineColor, b.UnderlineColor)
			if got := a.Equal(&b); got != want {
				t.Fatalf("%+v Equal %+v = %v, want %v", a, b, got, want)
			}
		}
	}
}
