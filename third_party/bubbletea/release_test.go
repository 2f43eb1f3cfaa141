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
