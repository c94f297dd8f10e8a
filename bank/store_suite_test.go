package bank_test

import (
	"path/filepath"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// The store's behaviours on SQLite; bank/pgstore runs the same on
// PostgreSQL.
func TestSQLite_StoreSuite(t *testing.T) {
	banktest.StoreSuite(t, func(t *testing.T) bank.Store {
		s, err := bank.OpenSQLite(filepath.Join(t.TempDir(), "bank.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Error(err)
			}
		})
		return s
	})
}
