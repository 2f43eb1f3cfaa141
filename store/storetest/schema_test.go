package storetest

import (
	"slices"
	"testing"
)

// SchemaDiff names every kind of drift, in key order, and nothing when the
// schemas agree: the parity and migration tests pass only through it.
func TestSchemaDiffNamesEveryDifference(t *testing.T) {
	a := Schema{
		Tables: map[string]map[string]Column{
			"stores": {"id": {Class: "int", Primary: true}, "name": {Class: "text"}, "old": {Class: "int"}},
			"gone":   {"id": {Class: "int"}},
		},
		Indexes: map[string]Index{"i_name": {Table: "stores", Columns: "name"}, "i_old": {Table: "stores", Columns: "old"}},
		Uniques: []string{"stores(name)"},
	}
	b := Schema{
		Tables: map[string]map[string]Column{
			"stores": {"id": {Class: "int", Primary: true}, "name": {Class: "text", NotNull: true}, "new": {Class: "int"}},
			"added":  {"id": {Class: "int"}},
		},
		Indexes: map[string]Index{"i_name": {Table: "stores", Columns: "name", Unique: true}, "i_new": {Table: "stores", Columns: "new"}},
		Uniques: []string{"stores(id)"},
	}
	want := []string{
		"table added: only in b",
		"table gone: only in a",
		"column stores.name: a {Class:text NotNull:false Primary:false}, b {Class:text NotNull:true Primary:false}",
		"column stores.new: only in b",
		"column stores.old: only in a",
		"index i_name: a {Table:stores Columns:name Unique:false Partial:false}, b {Table:stores Columns:name Unique:true Partial:false}",
		"index i_new: only in b",
		"index i_old: only in a",
		"unique stores(name): only in a",
		"unique stores(id): only in b",
	}
	if got := SchemaDiff("a", a, "b", b); !slices.Equal(got, want) {
		t.Errorf("SchemaDiff =\n%q\nwant\n%q", got, want)
	}
	if got := SchemaDiff("a", a, "a again", a); len(got) != 0 {
		t.Errorf("a schema differs from itself: %q", got)
	}
}
