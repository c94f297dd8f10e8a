package oda

import (
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// readHex reads one value of a vector folder under testdata.
func readHex(tb testing.TB, path ...string) []byte {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, path...)...))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		tb.Fatalf("%s: %v", filepath.Join(path...), err)
	}
	return b
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }

// wantErr checks that err matches sentinel (nil: no error) and, when check
// is not empty, that it is a *CheckError for that check.
func wantErr(tb testing.TB, err, sentinel error, check string) {
	tb.Helper()
	if sentinel == nil {
		if err != nil {
			tb.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errors.Is(err, sentinel) {
		tb.Fatalf("error %v, want %v", err, sentinel)
	}
	if check == "" {
		return
	}
	var ce *CheckError
	if !errors.As(err, &ce) {
		tb.Fatalf("error %v is not a *CheckError", err)
	}
	if ce.Check != check {
		tb.Fatalf("failed check %q (%v), want %q", ce.Check, err, check)
	}
}

func wantBytes(tb testing.TB, what string, got, want []byte) {
	tb.Helper()
	if !bytes.Equal(got, want) {
		tb.Fatalf("%s = %X, want %X", what, got, want)
	}
}

// Generating keys takes a while, so the tests share a small chain made once:
// a 1024-bit CA (exponent 3), a 896-bit issuer (65537) and a 768-bit ICC (3),
// sized so that both certificates need a remainder; a 512-bit key small
// enough to fit in either certificate without one; and another CA-sized key.
type testChain struct {
	ca, issuer, icc, small, other *PrivateKey
}

var (
	chainOnce sync.Once
	chain     testChain
	chainErr  error
)

func keys(tb testing.TB) testChain {
	tb.Helper()
	chainOnce.Do(func() {
		if chain.ca, chainErr = GenerateKey(1024, 3); chainErr != nil {
			return
		}
		if chain.issuer, chainErr = GenerateKey(1000, 65537); chainErr != nil {
			return
		}
		if chain.icc, chainErr = GenerateKey(968, 3); chainErr != nil {
			return
		}
		if chain.small, chainErr = GenerateKey(512, 3); chainErr != nil {
			return
		}
		chain.other, chainErr = GenerateKey(1024, 65537)
	})
	if chainErr != nil {
		tb.Fatal(chainErr)
	}
	return chain
}
