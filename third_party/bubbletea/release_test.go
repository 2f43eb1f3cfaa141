package tea

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	uv "github.com/charmbracelet/ultraviolet"
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

// Stockroom patch: a renderer that takes another program's released buffer
// from framePool gets what a new buffer would be (blank, every line
// touched), writes byte for byte what a renderer with a new buffer writes,
// and a pooled buffer of another size is not used.
func TestCursedRenderer_pooledBufferIsAsNew(t *testing.T) {
	// Not parallel: it drains and fills the process's pool.
	frames := []string{"\x1b[1;31mfirst\x1b[m frame\nwith two lines", "second\n", "third frame, longer than the others\nand\nthree lines"}
	newRenderer := func(out *bytes.Buffer) *cursedRenderer {
		r := newCursedRenderer(out, []string{"TERM=xterm-256color"}, 40, 10)
		r.start()
		return r
	}
	draw := func(r *cursedRenderer, f string) {
		v := NewView(f)
		v.AltScreen = true
		r.render(v)
		if err := r.flush(false); err != nil {
			t.Fatal(err)
		}
	}
	drain := func() {
		for framePool.Get() != nil {
		}
	}
	// used is a buffer another program drew into, then released.
	used := func() *uv.RenderBuffer {
		var out bytes.Buffer
		r := newRenderer(&out)
		draw(r, strings.Repeat("\x1b[44mXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n", 10))
		buf := r.cellbuf.RenderBuffer
		drain()
		r.release()
		return buf
	}
	run := func(pooled bool) string {
		var out bytes.Buffer
		r := newRenderer(&out)
		for i, f := range frames {
			r.release()
			var want *uv.RenderBuffer
			if pooled {
				// sync.Pool may drop what is put (always under the race
				// detector, now and then): retry until the restore takes it.
				for try := 0; ; try++ {
					want = used()
					r.restore()
					if r.cellbuf.RenderBuffer == want {
						break
					}
					if try == 100 {
						t.Skip("sync.Pool dropped every buffer put")
					}
					r.release()
				}
			} else {
				drain()
				r.restore()
			}
			fresh := uv.NewRenderBuffer(40, 10)
			for y := range 10 {
				fresh.TouchLine(0, y, 40)
			}
			if !reflect.DeepEqual(r.cellbuf.RenderBuffer.Lines, fresh.Lines) || !reflect.DeepEqual(r.cellbuf.RenderBuffer.Touched, fresh.Touched) {
				t.Fatalf("frame %d (pooled %v): the restored buffer is not as a new one", i, pooled)
			}
			draw(r, f)
		}
		if err := r.close(); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	if fresh, pooled := run(false), run(true); fresh != pooled {
		t.Fatalf("output differs:\nnew    %q\npooled %q", fresh, pooled)
	}

	drain()
	framePool.Put(uv.NewRenderBuffer(20, 5))
	var out bytes.Buffer
	r := newRenderer(&out)
	r.restore()
	if w, h := r.cellbuf.Width(), r.cellbuf.Height(); w != 40 || h != 10 {
		t.Fatalf("restored a %dx%d buffer for a 40x10 renderer", w, h)
	}
}
