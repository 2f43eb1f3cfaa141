package migrations_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/stockroom/stockroom/migrations"
	"github.com/stockroom/stockroom/store/sqlite"
	"github.com/stockroom/stockroom/store/storetest"
)

// The two migration sets are written once per database; after up they must
// define the same tables, columns (type class, nullability, primary key),
// named indexes and unique column sets, or one database behaves differently
// from the other in production.
func TestSQLiteAndPostgresSchemasMatch(t *testing.T) {
	ctx := context.Background()

	lite, err := sqlite.OpenRaw(filepath.Join(t.TempDir(), "parity.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := migrations.Up(ctx, lite, migrations.SQLite); err != nil {
		t.Fatal(err)
	}

	pool, err := pgxpool.New(ctx, storetest.PostgresSchema(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	pg := stdlib.OpenDBFromPool(pool)
	defer pg.Close()
	if err := migrations.Up(ctx, pg, migrations.Postgres); err != nil {
		t.Fatal(err)
	}

	ls, err := storetest.DescribeSchema(ctx, lite, migrations.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := storetest.DescribeSchema(ctx, pg, migrations.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls.Tables) == 0 || len(ps.Tables) == 0 {
		t.Fatalf("no tables read: sqlite %d, postgres %d", len(ls.Tables), len(ps.Tables))
	}
	if diff := storetest.SchemaDiff("sqlite", ls, "postgres", ps); len(diff) > 0 {
		t.Fatalf("the schemas differ:\n%s", strings.Join(diff, "\n"))
	}
	lv, _ := migrations.Version(ctx, lite, migrations.SQLite)
	pv, _ := migrations.Version(ctx, pg, migrations.Postgres)
	if lv != pv {
		t.Fatalf("schema versions differ: sqlite %d, postgres %d", lv, pv)
	}
}
