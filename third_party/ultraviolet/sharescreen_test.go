package uv

import (
	"bytes"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Stockroom patch: ShareScreen gives the frame the last Render put on the
// terminal, and refuses while a repaint of the whole screen is pending or
// for a buffer of another size.
func TestTerminalRenderer_ShareScreen(t *testing.T) {
	var out bytes.Buffer
	r := NewTerminalRenderer(&out, []string{"TERM=xterm-256color"})
	r.SetFullscreen(true)
	r.SetRelativeCursor(false)
	frame := NewRenderBuffer(20, 3)
	if _, ok := r.ShareScreen(20, 3); ok {
		t.Fatal("shared a screen before any render")
	}
	NewStyledString("\x1b[1mone\x1b[m 界\ntwo\nthree").Draw(&ScreenBuffer{RenderBuffer: frame, Method: ansi.WcWidth}, frame.Bounds())
	r.Render(frame)
	lines, ok := r.ShareScreen(20, 3)
	if !ok {
		t.Fatal("no screen after a render")
	}
	got := &RenderBuffer{Buffer: &Buffer{Lines: lines}}
	if got.Render() != frame.Render() {
		t.Errorf("screen %q; want the frame rendered %q", got.Render(), frame.Render())
	}
	if _, ok := r.ShareScreen(21, 3); ok {
		t.Error("shared the screen at another size")
	}
	r.Erase()
	if _, ok := r.ShareScreen(20, 3); ok {
		t.Error("shared the screen while an erase is pending")
	}
}
