package pgstore

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"lingqian/bank"
	"lingqian/internal/sqlitefile"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// application marks a database as a bank's in its schema table, as
// SQLite's application_id marks the file.
const application = "lingqian-bank"

// migrationLock is the advisory lock key migrations run under ("LQBK"):
// bank processes starting at once take turns, and each after the first
// finds the work done.
const migrationLock = 0x4C51424B

// migrate brings the database to the newest schema in one transaction:
// the lock, the look at the version, every migration it lacks and the
// new version commit together or not at all. The version lives in
// bank_schema, a table of one row.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	// The numbering rules are SQLite's (1, 2, 3… without gaps): the
	// same loader checks them.
	migs, err := sqlitefile.LoadMigrations(migrationFS)
	if err != nil {
		return err
	}
	latest := len(migs)
	// READ COMMITTED whatever the server's default: each statement after
	// the lock must see what the process before it committed.
	return pgx.BeginTxFunc(ctx, pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return fmt.Errorf("migrate: lock: %w", err)
		}
		have, err := schemaVersion(ctx, tx)
		if err != nil {
			return err
		}
		if have > latest {
			return fmt.Errorf("schema version %d, this release knows up to %d: %w", have, latest, bank.ErrNewerSchema)
		}
		if have == latest {
			return nil
		}
		for _, m := range migs[have:] {
			// No arguments: pgx sends it as one simple query, which may
			// hold many statements.
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return fmt.Errorf("migration %s: %w", m.Name, err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE bank_schema SET version = $1`, latest); err != nil {
			return fmt.Errorf("migrate: set schema version: %w", err)
		}
		return nil
	})
}

// schemaVersion reads the version, making bank_schema at version 0 in a
// database with no tables yet. A database with tables but no bank_schema,
// or another application's, is refused.
func schemaVersion(ctx context.Context, tx pgx.Tx) (int, error) {
	var exists bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('bank_schema') IS NOT NULL`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("migrate: read schema version: %w", err)
	}
	if exists {
		var app string
		var v int
		err := tx.QueryRow(ctx, `SELECT application, version FROM bank_schema`).Scan(&app, &v)
		if err != nil || app != application {
			return 0, fmt.Errorf("bank_schema holds no %s version: %w", application, bank.ErrNotBankDB)
		}
		return v, nil
	}
	var others int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&others); err != nil {
		return 0, fmt.Errorf("migrate: list tables: %w", err)
	}
	if others > 0 {
		return 0, fmt.Errorf("%d tables and no bank_schema: %w", others, bank.ErrNotBankDB)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE bank_schema (
			application TEXT NOT NULL,
			version     INTEGER NOT NULL
		);
		CREATE UNIQUE INDEX bank_schema_one_row ON bank_schema ((true))`); err != nil {
		return 0, fmt.Errorf("migrate: make bank_schema: %w", err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO bank_schema (application, version) VALUES ($1, 0)`, application); err != nil {
		return 0, fmt.Errorf("migrate: make bank_schema: %w", err)
	}
	return 0, nil
}
