package uv

import (
	"bytes"
	"image/color"
	"math/rand/v2"
	"testing"

	"github.com/charmbracelet/colorprofile"
)

// randomStyledBuffer fills a w×h buffer with runs of cells in a few styles,
// some of whose colours differ in true colour but map to the same entry of
// a 256-colour palette, and a link now and then.
func randomStyledBuffer(rng *rand.Rand, w, h int) *RenderBuffer {
	styles := []Style{
		{},
		{Fg: color.RGBA{R: 200, G: 10, B: 10, A: 255}},
		{Fg: color.RGBA{R: 201, G: 10, B: 10, A: 255}}, // same 256-colour entry as above
		{Fg: color.RGBA{R: 10, G: 200, B: 10, A: 255}, Attrs: AttrBold},
		{Bg: color.RGBA{R: 30, G: 30, B: 90, A: 255}, Attrs: AttrReverse},
		{Underline: UnderlineSingle, UnderlineColor: color.RGBA{R: 90, G: 90, B: 90, A: 255}},
	}
	links := []Link{{}, {URL: "https://example.com/a"}}
	b := NewRenderBuffer(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; {
			run := 1 + rng.IntN(12)
			st, ln := styles[rng.IntN(len(styles))], links[0]
			if rng.IntN(10) == 0 {
				ln = links[1]
			}
			content := string(rune('a' + rng.IntN(26)))
			if rng.IntN(4) == 0 {
				content = " "
			}
			for i := 0; i < run && x < w; i++ {
				b.SetCell(x, y, &Cell{Content: content, Width: 1, Style: st, Link: ln})
				x++
			}
		}
	}
	return b
}

// TestSamePenSkipWritesTheSameBytes renders the same frames, first frames
// and updates, with updatePen's shortcut on and off, for true-colour and
// 256-colour terminals, and wants the same bytes.
func TestSamePenSkipWritesTheSameBytes(t *testing.T) {
	defer func() { samePenSkips = true }()
	for _, profile := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ANSI256, colorprofile.ANSI, colorprofile.Ascii} {
		render := func(skip bool) []byte {
			samePenSkips = skip
			var out bytes.Buffer
			r := NewTerminalRenderer(&out, []string{"TERM=xterm-256color"})
			r.SetColorProfile(profile)
			r.SetFullscreen(true)
			rng := rand.New(rand.NewPCG(7, 11))
			for frame := 0; frame < 6; frame++ {
				buf := randomStyledBuffer(rng, 60, 12)
				r.Render(buf)
				if err := r.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			return out.Bytes()
		}
		with, without := render(true), render(false)
		if !bytes.Equal(with, without) {
			t.Fatalf("%v: output differs with the shortcut (%d bytes) and without (%d bytes)", profile, len(with), len(without))
		}
		if !bytes.Contains(with, []byte("\x1b[4")) && profile != colorprofile.Ascii {
			t.Fatalf("%v: no colour written: %q", profile, with[:min(len(with), 200)])
		}
	}
}

// BenchmarkFirstFrame is a session's first frame at 120×40 of styled runs
// on a 256-colour terminal: a new renderer, one render of the whole screen,
// with updatePen's shortcut for a cell styled as the pen and without it.
func BenchmarkFirstFrame(b *testing.B) {
	defer func() { samePenSkips = true }()
	rng := rand.New(rand.NewPCG(1, 2))
	frame := randomStyledBuffer(rng, 120, 40)
	for _, skip := range []bool{true, false} {
		name := map[bool]string{true: "samepen-skips", false: "every-cell-converts"}[skip]
		b.Run(name, func(b *testing.B) {
			samePenSkips = skip
			b.ReportAllocs()
			for b.Loop() {
				r := NewTerminalRenderer(discard{}, []string{"TERM=xterm-256color"})
				r.SetColorProfile(colorprofile.ANSI256)
				r.SetFullscreen(true)
				for y := range frame.Touched {
					frame.Touched[y] = &LineData{FirstCell: 0, LastCell: 120}
				}
				r.Render(frame)
				_ = r.Flush()
			}
		})
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
