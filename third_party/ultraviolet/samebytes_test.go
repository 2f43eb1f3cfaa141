package uv

import (
	"bytes"
	"image/color"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// fieldsEqual is Cell.Equal without the same-bytes shortcut.
func fieldsEqual(a, b *Cell) bool {
	return a.Width == b.Width && a.Content == b.Content && a.Style.Equal(&b.Style) && a.Link.Equal(&b.Link)
}

func TestCellEqual_sameBytesOnlyWhenFieldsEqual(t *testing.T) {
	red := color.RGBA{R: 200, A: 255}
	cells := []Cell{
		EmptyCell,
		{Content: " ", Width: 1},
		{Content: string([]byte{' '}), Width: 1}, // equal, other bytes
		{Content: "a", Width: 1},
		{Content: "a", Width: 1, Style: Style{Fg: red}},
		{Content: "a", Width: 1, Style: Style{Fg: color.RGBA{R: 200, A: 255}}},
		{Content: "a", Width: 1, Style: Style{Fg: ansi.BasicColor(1)}},
		{Content: "a", Width: 1, Style: Style{Fg: ansi.BasicColor(1), Attrs: AttrBold}},
		{Content: "a", Width: 1, Link: Link{URL: "https://example.com"}},
		{Content: "世", Width: 2},
		{Content: "", Width: 0},
	}
	for i := range cells {
		for j := range cells {
			a, b := cells[i], cells[j]
			if got, want := a.Equal(&b), fieldsEqual(&a, &b); got != want {
				t.Errorf("cells %d and %d: Equal %v, field by field %v", i, j, got, want)
			}
			if sameBytes(&a, &b) && !fieldsEqual(&a, &b) {
				t.Errorf("cells %d and %d are the same bytes but not equal", i, j)
			}
		}
	}
}

func TestDrawnASCIICellsShareTheirContent(t *testing.T) {
	for c := byte(0x20); c < 0x7f; c++ {
		if got := contentOf(string([]byte{c})); got != string([]byte{c}) {
			t.Fatalf("content of %q is %q", c, got)
		}
		if contentOf([]byte{c}) != contentOf(string([]byte{c})) {
			t.Fatalf("content of %q differs between bytes and string", c)
		}
	}
	if unsafe.StringData(contentOf(" ")) != unsafe.StringData(EmptyCell.Content) {
		t.Error("a drawn space does not share the empty cell's content")
	}
	for _, s := range []string{"é", "世", "ab", "\x7f"} {
		if contentOf(s) != s {
			t.Errorf("content of %q is %q", s, contentOf(s))
		}
	}

	// Two draws of the same styled text give cells that are the same
	// bytes, and a drawn unstyled space is the same bytes as a blank cell.
	draw := func(s string) ScreenBuffer {
		b := NewScreenBuffer(12, 1)
		NewStyledString(s).Draw(b, b.Bounds())
		return b
	}
	text := "\x1b[1;31mab\x1b[m c"
	a, b := draw(text), draw(string([]byte(text)))
	for x := 0; x < 12; x++ {
		if !sameBytes(a.CellAt(x, 0), b.CellAt(x, 0)) {
			t.Errorf("column %d: %+v and %+v are not the same bytes", x, *a.CellAt(x, 0), *b.CellAt(x, 0))
		}
	}
	if space := a.CellAt(2, 0); !sameBytes(space, &EmptyCell) {
		t.Errorf("a drawn space %+v is not the same bytes as the empty cell", *space)
	}
}

// clearedTestBuffer is a frame of rows that start and end blank (plain or
// on a background), runs of styled letters, wide characters and links: the
// shapes whose diff against a cleared screen takes each branch of
// transformLine.
func clearedTestBuffer(rng *rand.Rand, w, h int) *RenderBuffer {
	bg := Style{Bg: color.RGBA{R: 30, G: 30, B: 90, A: 255}}
	styles := []Style{{}, {}, bg, {Fg: ansi.IndexedColor(203), Attrs: AttrBold}, {Attrs: AttrReverse}}
	b := NewRenderBuffer(w, h)
	for y := 0; y < h; y++ {
		if rng.IntN(5) == 0 {
			continue // a row left blank
		}
		x := rng.IntN(3) * rng.IntN(w/2) // leading blanks, often none
		end := w - rng.IntN(3)*rng.IntN(w/2)
		for x < end {
			run, st := 1+rng.IntN(10), styles[rng.IntN(len(styles))]
			content, width := string(rune('a'+rng.IntN(26))), 1
			switch rng.IntN(6) {
			case 0:
				content = " "
			case 1:
				content, width = "世", 2
			}
			var link Link
			if rng.IntN(12) == 0 {
				link = Link{URL: "https://example.com/x"}
			}
			for i := 0; i < run && x+width <= end; i++ {
				b.SetCell(x, y, &Cell{Content: content, Width: width, Style: st, Link: link})
				x += width
			}
			if x+width > end {
				break
			}
		}
	}
	return b
}

// TestClearedRowsShortcutWritesTheSameBytes renders first frames, updates,
// frames after an erase (the pen then on a background or not) and frames
// of another size with clearedRow's shortcuts on and off, and wants the
// same bytes.
func TestClearedRowsShortcutWritesTheSameBytes(t *testing.T) {
	defer func() { clearedSkips = true }()
	for seed := uint64(1); seed <= 40; seed++ {
		render := func(skip bool) []byte {
			clearedSkips = skip
			var out bytes.Buffer
			r := NewTerminalRenderer(&out, []string{"TERM=xterm-256color"})
			r.SetColorProfile(colorprofile.ANSI256)
			r.SetFullscreen(true)
			rng := rand.New(rand.NewPCG(seed, 3))
			for frame := 0; frame < 6; frame++ {
				if frame > 0 && rng.IntN(2) == 0 {
					r.Erase()
				}
				w, h := 50, 10
				if rng.IntN(3) == 0 { // a frame of another size
					w, h = 40+rng.IntN(20), 8+rng.IntN(5)
				}
				r.Render(clearedTestBuffer(rng, w, h))
				if err := r.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			return out.Bytes()
		}
		with, without := render(true), render(false)
		if !bytes.Equal(with, without) {
			t.Fatalf("seed %d: output differs with the shortcut (%d bytes) and without (%d bytes)", seed, len(with), len(without))
		}
	}
}
