package tea

import (
	"bytes"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
	"github.com/charmbracelet/x/ansi"
)

// Stockroom patch: frames that change a few lines of the last one, drawn
// line by line (with the buffer kept, or released between frames as an
// idle program's is), leave the terminal showing what drawing every frame
// whole, as upstream does, leaves: the terminal renderer's model of the
// screen, which it writes the difference from, holds the same cells after
// each frame. (The bytes differ: drawing whole repaints lines that did not
// change, such as those with wide characters.)
func TestCursedRenderer_changedLinesShowTheSameFrames(t *testing.T) {
	t.Parallel()
	frames := changingFrames()
	run := func(full, release bool) []string {
		var out bytes.Buffer
		r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 8)
		r.fullDraw = full
		r.start()
		var screens []string
		for _, f := range frames {
			v := NewView(f)
			v.AltScreen = true
			r.render(v)
			if err := r.flush(false); err != nil {
				t.Fatal(err)
			}
			lines, ok := r.scr.ShareScreen(40, 8)
			if !ok {
				t.Fatal("no model of the screen after a frame")
			}
			screens = append(screens, (&uv.Buffer{Lines: lines}).Render())
			if release {
				r.release()
			}
		}
		if err := r.close(); err != nil {
			t.Fatal(err)
		}
		return screens
	}
	whole := run(true, false)
	for _, release := range []bool{false, true} {
		lines := run(false, release)
		for i := range whole {
			if whole[i] != lines[i] {
				t.Errorf("release %v, frame %d: screen differs:\nwhole %q\nlines %q", release, i, whole[i], lines[i])
			}
		}
	}
}

// Stockroom patch: a frame that changes one line of the last one draws
// that line only, with its new text, even after the program went idle and
// released its buffer; the other lines are not touched, so the terminal
// renderer does not compare them with the screen.
func TestCursedRenderer_drawsOnlyTheChangedLine(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 6)
	r.start()
	show := func(content string) {
		t.Helper()
		v := NewView(content)
		v.AltScreen = true
		r.render(v)
		if err := r.flush(false); err != nil {
			t.Fatal(err)
		}
	}
	show("header\n\x1b[1mmug\x1b[m 12\n\x1b[1mbowl\x1b[m 7\nfooter")
	r.release() // idle: the buffer comes back from the screen's model
	out.Reset()
	show("header\n\x1b[1mmug\x1b[m 12\n\x1b[1mbowl\x1b[m 8\nfooter")
	if r.drawn != 1 {
		t.Errorf("the frame drew %d lines; want 1, the changed row", r.drawn)
	}
	if got := ansi.Strip(r.cellbuf.Render()); !strings.Contains(got, "bowl 8") || strings.Contains(got, "bowl 7") {
		t.Errorf("frame after the change:\n%s\nwant the row at 8", got)
	}
	if w := out.String(); !strings.Contains(w, "8") || strings.Contains(w, "mug") || strings.Contains(w, "header") {
		t.Errorf("wrote %q; want only the changed row's new number", w)
	}
}

// Stockroom patch: only frames whose lines each leave the pen reset are
// drawn line by line.
func TestLinesIndependent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		content string
		want    bool
	}{
		{"plain\ntext", true},
		{"\x1b[1mbold\x1b[m after\nnext", true},
		{"\x1b[1mbold\x1b[0m\r\nnext", true},
		{"\x1b[31mred\nstill red\x1b[m", false},
		{"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\x1b[m", false},
		{"\x1b[1mbold\x1b[m\x1b[2J", false},
		{"trailing escape\x1b", false},
		{"", true},
	} {
		if got := linesIndependent(c.content); got != c.want {
			t.Errorf("linesIndependent(%q) = %v; want %v", c.content, got, c.want)
		}
	}
}

// changingFrames are frames of a screen that changes a few lines at a
// time, and sometimes more: a shorter or taller frame, lines that move up
// or down (scrolling), wide characters, a pen carried over a line break.
func changingFrames() []string {
	row := func(name string, n int) string {
		return "\x1b[1m" + name + "\x1b[m " + strings.Repeat("·", n%7) + " \x1b[38;5;2m" + strings.Repeat("#", n) + "\x1b[m tail"
	}
	frame := func(rows ...string) string { return strings.Join(rows, "\n") }
	return []string{
		frame(row("mug", 1), row("bowl", 2), row("plate", 3), "plain 界 wide", ""),
		frame(row("mug", 9), row("bowl", 2), row("plate", 3), "plain 界 wide", ""), // one row changed
		frame(row("mug", 9), row("bowl", 2), row("plate", 3), "plain 界 wide", ""), // unchanged
		frame(row("mug", 9), row("bowl", 4), row("plate", 0), "plain 界 wide"),     // two rows, no last line
		frame(row("mug", 9), row("bowl", 4)),                                      // shorter: the rest erased
		frame(row("mug", 9), row("bowl", 4), "grown again", "界界", "x", "y"),
		frame("\x1b[31mred runs on", "into this line\x1b[m", "third"), // pen carried: drawn whole
		frame("\x1b[31mred runs on", "into that line\x1b[m", "third"),
		frame(row("mug", 1), row("bowl", 2), row("plate", 3), "plain 界 wide", ""),
		frame(row("mug", 1), row("bowl", 2), strings.Repeat("long ", 20), "plain 界 wide", ""), // cut at the edge
		frame(row("mug", 1), "界 moved", strings.Repeat("long ", 20), "plain 界 wide", "界"),
		frame("界 moved", strings.Repeat("long ", 20), "plain 界 wide", "界", row("mug", 1)),        // scrolled up
		frame("top", "界 moved", strings.Repeat("long ", 20), "plain 界 wide", "界", row("mug", 1)), // and down
		frame("top", "界 moved", strings.Repeat("long ", 20), "plain 界 wide", "界", row("mug", 2)),
		frame("\x1b[31mred runs on", "into that line\x1b[m", "third"), // drawn whole over shared lines
		frame("\x1b[31mred runs on", "into that line\x1b[m", "3rd"),
	}
}

// Stockroom patch: a frame buffer that shares the terminal renderer's
// lines (restored after an idle spell) writes what one that owns its
// lines writes, whether it is released after every frame or kept for the
// next: a line is drawn into only once it is the buffer's own, a frame
// drawn whole first takes a buffer of its own, and a shared buffer is
// neither scrolled nor handed to another program. Scroll optimization is
// off in the renderer that owns its lines too, as it is while lines are
// shared.
func TestCursedRenderer_sharedScreenWritesAsOwned(t *testing.T) {
	t.Parallel()
	frames := changingFrames()
	run := func(release func(i int) bool) string {
		var out bytes.Buffer
		r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 8)
		r.start()
		r.scr.SetScrollOptim(false)
		for i, f := range frames {
			v := NewView(f)
			v.AltScreen = true
			r.render(v)
			if err := r.flush(false); err != nil {
				t.Fatal(err)
			}
			if release(i) {
				r.release()
				// Another program takes what went to the pool and draws.
				if b, _ := framePool.Get().(*uv.RenderBuffer); b != nil {
					b.Buffer.Clear()
					uv.NewStyledString(strings.Repeat("other program\n", 8)).Draw(&uv.ScreenBuffer{RenderBuffer: b, Method: ansi.WcWidth}, b.Bounds())
				}
			}
		}
		if err := r.close(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	owned := run(func(int) bool { return false })
	for name, release := range map[string]func(int) bool{
		"every frame":       func(int) bool { return true },
		"every other frame": func(i int) bool { return i%2 == 0 },
		"every third frame": func(i int) bool { return i%3 == 1 },
	} {
		if shared := run(release); shared != owned {
			t.Errorf("released %s: output differs:\nowned  %q\nshared %q", name, owned, shared)
		}
	}
}
