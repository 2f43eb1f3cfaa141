package tea

import (
	"bytes"
	"testing"
)

// Stockroom patch: a renderer that releases its frame buffer while idle
// writes exactly what one that kept it writes, including erasing what a
// shorter frame no longer covers.
func TestCursedRenderer_releaseWritesTheSameFrames(t *testing.T) {
	t.Parallel()
	frames := []string{
		"first frame\nwith two lines",
		"first frame\nwith two lines", // unchanged
		"second\n",                    // shorter: the rest must be erased
		"third frame, longer than the others\nand\nthree lines",
	}
	run := func(release bool) string {
		var out bytes.Buffer
		r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 10)
		if !release {
			r.restore() // as upstream: the buffer from the start
		}
		r.start()
		for _, f := range frames {
			v := NewView(f)
			v.AltScreen = true
			r.render(v)
			if err := r.flush(false); err != nil {
				t.Fatal(err)
			}
			if release {
				r.release()
				if r.cellbuf.RenderBuffer != nil {
					t.Fatal("release kept the frame buffer")
				}
			}
		}
		if err := r.close(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if kept, released := run(false), run(true); kept != released {
		t.Fatalf("output differs:\nkept     %q\nreleased %q", kept, released)
	}
}

// Stockroom patch: a flush that finds the view unchanged leaves a released
// buffer released: it is allocated again only to draw a new frame.
func TestCursedRenderer_unchangedFlushKeepsTheBufferReleased(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 10)
	r.start()
	v := NewView("a frame")
	v.AltScreen = true
	r.render(v)
	if err := r.flush(false); err != nil {
		t.Fatal(err)
	}
	r.release()
	r.render(v)
	if err := r.flush(false); err != nil {
		t.Fatal(err)
	}
	if r.cellbuf.RenderBuffer != nil {
		t.Error("an unchanged frame allocated the released buffer again")
	}
	v = NewView("another frame")
	v.AltScreen = true
	r.render(v)
	if err := r.flush(false); err != nil {
		t.Fatal(err)
	}
	if r.cellbuf.RenderBuffer == nil {
		t.Error("a new frame was flushed without a buffer")
	}
}

// Stockroom patch: a renderer has no frame buffer until a flush draws a
// frame, and closing draws none, so it allocates no buffer either: a
// session that ends while idle, or before its first frame, never
// allocates one to close.
func TestCursedRenderer_bufferOnlyToDraw(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 10)
	if r.cellbuf.RenderBuffer != nil {
		t.Fatal("a new renderer allocated a frame buffer before any frame")
	}
	r.start()
	if err := r.flush(false); err != nil { // an empty view: nothing drawn
		t.Fatal(err)
	}
	v := NewView("a frame")
	v.AltScreen = true
	r.render(v)
	if err := r.flush(false); err != nil {
		t.Fatal(err)
	}
	if r.cellbuf.RenderBuffer == nil {
		t.Fatal("a frame was flushed without a buffer")
	}
	r.release()
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	if r.cellbuf.RenderBuffer != nil {
		t.Error("close allocated the released frame buffer again")
	}
}

// Stockroom patch: closing a renderer whose buffer is released writes what
// closing one that kept it writes (the cursor goes to the frame's last row).
func TestCursedRenderer_closeReleasedWritesTheSame(t *testing.T) {
	t.Parallel()
	run := func(release bool) string {
		var out bytes.Buffer
		r := newCursedRenderer(&out, []string{"TERM=xterm-256color"}, 40, 10)
		r.start()
		v := NewView("a frame\nof two lines")
		r.render(v) // inline: the frame is two rows high, not the screen's ten
		if err := r.flush(false); err != nil {
			t.Fatal(err)
		}
		if release {
			r.release()
		}
		out.Reset()
		if err := r.close(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if kept, released := run(false), run(true); kept != released {
		t.Fatalf("close output differs:\nkept     %q\nreleased %q", kept, released)
	}
}
