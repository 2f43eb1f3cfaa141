package uv

import (
	"reflect"
	"strings"
	"testing"
)

// Stockroom patch: every new reader shares one key table, and it is the
// table each would have built for itself, whatever its terminal type.
func TestNewTerminalReader_sharesTheKeyTable(t *testing.T) {
	var tables []map[string]Key
	for _, term := range []string{"xterm-256color", "dumb", "screen", "tmux-256color", "linux", ""} {
		d := NewTerminalReader(strings.NewReader(""), term)
		if !reflect.DeepEqual(d.table, buildKeysTable(d.Legacy, term, d.UseTerminfo)) {
			t.Fatalf("TERM=%q: the shared table differs from the one the reader would build", term)
		}
		if d.eventScanner.table == nil || reflect.ValueOf(d.eventScanner.table).UnsafePointer() != reflect.ValueOf(d.table).UnsafePointer() {
			t.Fatalf("TERM=%q: the scanner does not read the reader's table", term)
		}
		tables = append(tables, d.table)
	}
	for _, tb := range tables[1:] {
		if reflect.ValueOf(tb).UnsafePointer() != reflect.ValueOf(tables[0]).UnsafePointer() {
			t.Fatal("two readers built tables of their own")
		}
	}
}
