package pgstore_test

import (
	"strings"
	"testing"

	"lingqian/bank/pgstore"
)

func TestRedacted_HidesEveryPassword(t *testing.T) {
	cases := []struct{ name, dsn, want string }{
		{"URL without a password", "postgres://bank@db.example:5432/bank?sslmode=require",
			"postgres://bank@db.example:5432/bank?sslmode=require"},
		{"URL with a password", "postgres://bank:s3cret@db.example/bank", "postgres://bank:xxxxx@db.example/bank"},
		{"postgresql scheme", "postgresql://bank:s3cret@db.example/bank", "postgresql://bank:xxxxx@db.example/bank"},
		{"password in the query", "postgres://bank@db.example/bank?password=s3cret&sslmode=require",
			"postgres://bank@db.example/bank?password=xxxxx&sslmode=require"},
		{"key=value", "host=db.example user=bank password=s3cret dbname=bank", "host=db.example user=bank password=xxxxx dbname=bank"},
		{"key=value quoted", "host=db password='s3 cret' dbname=bank", "host=db password=xxxxx dbname=bank"},
		{"a URL Go cannot read", "postgres://bank:s3cret@db.example:port/bank", "(a PostgreSQL URL that cannot be read)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Given a DSN; when it is redacted
			got := pgstore.Redacted(c.dsn)
			// Then the password is gone and the rest is as it was
			if got != c.want || strings.Contains(got, "s3cret") || strings.Contains(got, "s3 cret") {
				t.Errorf("Redacted(%q) = %q, want %q", c.dsn, got, c.want)
			}
		})
	}
}
