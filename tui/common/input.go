package common

import (
	"charm.land/bubbles/v2/textinput"
)

// NewInput returns a text input in the session's colours. Its cursor does
// not blink: a blinking cursor redraws the screen twice a second for every
// open session, for nothing.
func NewInput(s *Styles, prompt, placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.Placeholder = placeholder
	in.CharLimit = limit
	st := textinput.DefaultStyles(s.Dark)
	st.Cursor.Blink = false
	st.Focused.Prompt = s.Key
	st.Blurred.Prompt = s.Muted
	st.Focused.Text = s.Input
	st.Focused.Placeholder = s.Muted
	st.Blurred.Placeholder = s.Muted
	in.SetStyles(st)
	return in
}
