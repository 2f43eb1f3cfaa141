package uv

import (
	"bytes"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// Stockroom patch: CopyScreen gives the frame the last Render put on the
// terminal, and refuses while a repaint of the whole screen is pending or
// for a buffer of another size.
func TestTerminalRenderer_CopyScreen(t *testing.T) {
	var out bytes.Buffer
	r := NewTerminalRenderer(&out, []string{"TERM=xterm-256color"})
	r.SetFullscreen(true)
	r.SetRelativeCursor(false)
	frame := NewRenderBuffer(20, 3)
	if r.CopyScreen(NewRenderBuffer(20, 3)) {
		t.Fatal("copied a screen before any render")
	}
	NewStyledString("\x1b[1mone\x1b[m 界\ntwo\nthree").Draw(&ScreenBuffer{RenderBuffer: frame, Method: ansi.WcWidth}, frame.Bounds())
	r.Render(frame)
	got := NewRenderBuffer(20, 3)
	if !r.CopyScreen(got) {
		t.Fatal("no copy after a render")
	}
	if got.Render() != frame.Render() {
		t.Errorf("copy %q; want the frame rendered %q", got.Render(), frame.Render())
	}
	if got.TouchedLines() != 0 {
		t.Errorf("the copy has %d lines touched; want none", got.TouchedLines())
	}
	if r.CopyScreen(NewRenderBuffer(21, 3)) {
		t.Error("copied into a buffer of another size")
	}
	r.Erase()
	if r.CopyScreen(NewRenderBuffer(20, 3)) {
		t.Error("copied while an erase is pending")
	}
}
