// What a migrated database defines, read back from the database itself, so
// the two migration sets (written once per database) can be compared and a
// table, column or index added to one and forgotten in the other fails a
// test instead of a deployment.
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stockroom/stockroom/migrations"
)

// Schema is the part of a database's schema both databases must agree on.
type Schema struct {
	// Tables maps a table name to its columns by name.
	Tables map[string]map[string]Column
	// Indexes maps a named index (CREATE INDEX) to what it covers.
	Indexes map[string]Index
	// Uniques lists each table's unique column sets (UNIQUE constraints and
	// unique indexes alike), as "table(a,b)".
	Uniques []string
}

// Column is a column as both databases can state it.
type Column struct {
	Class   string // int, bool, text, blob or real
	NotNull bool
	Primary bool
}

// Index is a named index.
type Index struct {
	Table   string
	Columns string // comma separated, in index order
	Unique  bool
	Partial bool
}

// ignoredTable is bookkeeping that is not Stockroom's schema.
func ignoredTable(name string) bool {
	return name == "goose_db_version" || strings.HasPrefix(name, "river_") || strings.HasPrefix(name, "sqlite_")
}

// DescribeSchema reads the schema of a migrated database.
func DescribeSchema(ctx context.Context, db *sql.DB, d migrations.Dialect) (Schema, error) {
	switch d {
	case migrations.SQLite:
		return describeSQLite(ctx, db)
	case migrations.Postgres:
		return describePostgres(ctx, db)
	}
	return Schema{}, fmt.Errorf("storetest: unknown dialect %q", d)
}

// SchemaDiff lists every difference between two schemas, in words.
func SchemaDiff(aName string, a Schema, bName string, b Schema) []string {
	diffs := diffKeyed("table ", aName, a.Tables, bName, b.Tables, func(t string, ac, bc map[string]Column) []string {
		label := "column " + t + "."
		return diffKeyed(label, aName, ac, bName, bc, differ[Column](label, aName, bName))
	})
	diffs = append(diffs, diffKeyed("index ", aName, a.Indexes, bName, b.Indexes, differ[Index]("index ", aName, bName))...)
	for _, u := range a.Uniques {
		if !slices.Contains(b.Uniques, u) {
			diffs = append(diffs, fmt.Sprintf("unique %s: only in %s", u, aName))
		}
	}
	for _, u := range b.Uniques {
		if !slices.Contains(a.Uniques, u) {
			diffs = append(diffs, fmt.Sprintf("unique %s: only in %s", u, bName))
		}
	}
	return diffs
}

// diffKeyed lists, in key order, the keys only one of a and b has, and
// what both(key, a's, b's) finds in those both have; label names a key in
// words ("table ", "column t.").
func diffKeyed[V any](label, aName string, a map[string]V, bName string, b map[string]V,
	both func(key string, x, y V) []string) []string {
	var diffs []string
	for _, k := range unionKeys(a, b) {
		x, xok := a[k]
		y, yok := b[k]
		switch {
		case !xok:
			diffs = append(diffs, fmt.Sprintf("%s%s: only in %s", label, k, bName))
		case !yok:
			diffs = append(diffs, fmt.Sprintf("%s%s: only in %s", label, k, aName))
		default:
			diffs = append(diffs, both(k, x, y)...)
		}
	}
	return diffs
}

// differ is diffKeyed's both for values compared whole: it shows the two
// when they differ.
func differ[V comparable](label, aName, bName string) func(string, V, V) []string {
	return func(k string, x, y V) []string {
		if x == y {
			return nil
		}
		return []string{fmt.Sprintf("%s%s: %s %+v, %s %+v", label, k, aName, x, bName, y)}
	}
}

func unionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typeClass maps a declared type to the class both databases share. SQLite
// has no boolean: its booleans are INTEGER, so a PostgreSQL BOOLEAN is
// compared as an integer.
func typeClass(declared string) string {
	t := strings.ToLower(declared)
	switch {
	case strings.Contains(t, "int"), strings.Contains(t, "serial"), t == "boolean", t == "bool":
		return "int"
	case strings.Contains(t, "char"), strings.Contains(t, "text"), strings.Contains(t, "clob"):
		return "text"
	case strings.Contains(t, "blob"), strings.Contains(t, "bytea"):
		return "blob"
	case strings.Contains(t, "real"), strings.Contains(t, "double"), strings.Contains(t, "float"), strings.Contains(t, "numeric"):
		return "real"
	}
	return t
}

func describeSQLite(ctx context.Context, db *sql.DB) (Schema, error) {
	s := Schema{Tables: map[string]map[string]Column{}, Indexes: map[string]Index{}}
	tables, err := QueryStrings(ctx, db, `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`)
	if err != nil {
		return s, err
	}
	for _, t := range tables {
		if ignoredTable(t) {
			continue
		}
		cols := map[string]Column{}
		rows, err := db.QueryContext(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?)`, t)
		if err != nil {
			return s, err
		}
		for rows.Next() {
			var name, typ string
			var notNull, pk int
			if err := rows.Scan(&name, &typ, &notNull, &pk); err != nil {
				rows.Close()
				return s, err
			}
			// A primary key is implicitly NOT NULL in PostgreSQL.
			cols[name] = Column{Class: typeClass(typ), NotNull: notNull == 1 || pk > 0, Primary: pk > 0}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s, err
		}
		s.Tables[t] = cols

		type idx struct {
			name            string
			unique, partial bool
			origin          string
		}
		var idxs []idx
		rows, err = db.QueryContext(ctx, `SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, t)
		if err != nil {
			return s, err
		}
		for rows.Next() {
			var x idx
			var unique, partial int
			if err := rows.Scan(&x.name, &unique, &x.origin, &partial); err != nil {
				rows.Close()
				return s, err
			}
			x.unique, x.partial = unique == 1, partial == 1
			idxs = append(idxs, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return s, err
		}
		for _, x := range idxs {
			cols, err := QueryStrings(ctx, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, x.name)
			if err != nil {
				return s, err
			}
			colList := strings.Join(cols, ",")
			if x.origin == "c" {
				s.Indexes[x.name] = Index{Table: t, Columns: colList, Unique: x.unique, Partial: x.partial}
			}
			if x.unique && x.origin != "pk" && !x.partial {
				s.Uniques = append(s.Uniques, t+"("+colList+")")
			}
		}
	}
	sort.Strings(s.Uniques)
	return s, nil
}

func describePostgres(ctx context.Context, db *sql.DB) (Schema, error) {
	s := Schema{Tables: map[string]map[string]Column{}, Indexes: map[string]Index{}}
	rows, err := db.QueryContext(ctx, `
		SELECT c.table_name, c.column_name, c.data_type, c.is_nullable = 'NO',
		       EXISTS (SELECT 1 FROM information_schema.table_constraints tc
		               JOIN information_schema.key_column_usage k
		                 ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
		               WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
		                 AND tc.table_name = c.table_name AND k.column_name = c.column_name)
		FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		return s, err
	}
	for rows.Next() {
		var t, name, typ string
		var notNull, pk bool
		if err := rows.Scan(&t, &name, &typ, &notNull, &pk); err != nil {
			rows.Close()
			return s, err
		}
		if ignoredTable(t) {
			continue
		}
		if s.Tables[t] == nil {
			s.Tables[t] = map[string]Column{}
		}
		s.Tables[t][name] = Column{Class: typeClass(typ), NotNull: notNull, Primary: pk}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return s, err
	}

	// Every index with its columns; those that back a constraint are named
	// by PostgreSQL, not by the migration, so only their column sets count.
	rows, err = db.QueryContext(ctx, `
		SELECT i.relname, t.relname, ix.indisunique, ix.indisprimary, ix.indpred IS NOT NULL,
		       EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = ix.indexrelid),
		       array_to_string(ARRAY(
		           SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
		           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
		           ORDER BY k.ord), ',')
		FROM pg_index ix
		JOIN pg_class i ON i.oid = ix.indexrelid
		JOIN pg_class t ON t.oid = ix.indrelid
		JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema()
		ORDER BY i.relname`)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, table, cols string
		var unique, primary, partial, constraint bool
		if err := rows.Scan(&name, &table, &unique, &primary, &partial, &constraint, &cols); err != nil {
			return s, err
		}
		if ignoredTable(table) || primary {
			continue
		}
		if !constraint {
			s.Indexes[name] = Index{Table: table, Columns: cols, Unique: unique, Partial: partial}
		}
		if unique && !partial {
			s.Uniques = append(s.Uniques, table+"("+cols+")")
		}
	}
	sort.Strings(s.Uniques)
	return s, rows.Err()
}

// QueryStrings reads the rows of a query of one text column.
func QueryStrings(ctx context.Context, db *sql.DB, q string, args ...any) ([]string, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
