package sqlite

import (
	"slices"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct {
		q, want   string
		args, out []any
	}{
		{"SELECT 1", "SELECT 1", nil, nil},
		{"UPDATE t SET a = $2, b = $1 WHERE c = $2", "UPDATE t SET a = ?, b = ? WHERE c = ?", []any{1, 2}, []any{2, 1, 2}},
		{"SELECT '$1', $1, \"$2\"", "SELECT '$1', ?, \"$2\"", []any{"x", "y"}, []any{"x"}},
		{"VALUES ($10,$1)", "VALUES (?,?)", []any{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []any{10, 1}},
		{"SELECT $3", "SELECT $3", []any{1}, []any{}},
	} {
		got, out := rebind(tc.q, tc.args)
		if got != tc.want || !slices.Equal(out, tc.out) {
			t.Errorf("rebind(%q, %v) = %q, %v; want %q, %v", tc.q, tc.args, got, out, tc.want, tc.out)
		}
	}
}
