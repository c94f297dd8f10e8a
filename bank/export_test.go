package bank

import (
	"context"
	"database/sql"
	"testing"
)

// ClearPerMessage clears msgs from the desk terminalID as handleBatch
// does, but asks every question of clearing as a statement of its own on
// the store's Tx, and keeps no idempotency record: the reference tests
// hold the set-based clearing to, on a copy of the same bank.
func ClearPerMessage(ctx context.Context, b *Bank, terminalID string, msgs []WireMessage) ([]Result, error) {
	var desk Desk
	err := b.store.Read(ctx, func(tx Tx) error {
		var err error
		desk, err = tx.Desk(terminalID)
		return err
	})
	if err != nil {
		return nil, err
	}
	bs, preps, err := b.prepareBatch(ctx, &desk, msgs)
	if err != nil {
		return nil, err
	}
	var resp BatchResponse
	err = b.store.Write(ctx, func(tx Tx) error {
		resp, err = b.clearBatch(tx, bs, preps)
		return err
	})
	return resp.Results, err
}

// DumpDB is every row of the bank database at path but the idempotency
// records, in a form two databases can be compared by.
func DumpDB(tb testing.TB, path string) map[string][]string {
	tb.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	return dumpTables(tb, db)
}
