package sqlstore

import (
	"reflect"
	"strings"
	"testing"
)

// unnestInsert hands PostgreSQL one typed array per column, and refuses a
// value of the wrong type by naming its column.
func TestUnnestInsertTypesEachColumn(t *testing.T) {
	cols := []bulkCol{{name: "id", typ: colInt}, {name: "sku", typ: colText}, {name: "on", typ: colBool}}
	sql, args, err := unnestInsert("INSERT INTO t (id, sku, on) ", " RETURNING id", cols, []any{int64(1), "A", true, 2, "B", false})
	if err != nil {
		t.Fatal(err)
	}
	want := "INSERT INTO t (id, sku, on) SELECT * FROM unnest(CAST($1 AS BIGINT[]), CAST($2 AS TEXT[]), CAST($3 AS BOOLEAN[])) RETURNING id"
	if sql != want {
		t.Errorf("sql = %q, want %q", sql, want)
	}
	if wantArgs := []any{[]int64{1, 2}, []string{"A", "B"}, []bool{true, false}}; !reflect.DeepEqual(args, wantArgs) {
		t.Errorf("args = %#v, want %#v", args, wantArgs)
	}
	for _, c := range []struct {
		vals []any
		says string
	}{
		{[]any{"1", "A", true}, "column id: string is not an integer"},
		{[]any{int64(1), 7, true}, "column sku: int is not text"},
		{[]any{int64(1), "A", "yes"}, "column on: string is not a boolean"},
	} {
		if _, _, err := unnestInsert("", "", cols, c.vals); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%v: %v, want %q", c.vals, err, c.says)
		}
	}
}
