package signup

import (
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/tui/common"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// Issue 17: enter on an empty name moved on to the email silently.
func TestEmptyNameRefusedOnEnter(t *testing.T) {
	env := tuitest.New(t, nil, tuitest.Options{})
	m := New(env.Common(env.Owner, 100, 30), tuitest.NewKey(t), "192.0.2.1:1234")
	m.SetSize(100, 30)
	var comp common.Component = m
	tuitest.Drive(comp, 5*time.Second, tuitest.Key("enter"))
	if m.Err() == nil || m.focus != 0 {
		t.Fatalf("enter on an empty name: err %v, focus %d", m.Err(), m.focus)
	}
	if f := tuitest.Plain(m); !strings.Contains(f, "name") {
		t.Fatalf("no message:\n%s", f)
	}
}
