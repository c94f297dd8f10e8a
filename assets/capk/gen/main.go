// Command gen writes assets/capk/default.json, the CA public keys the
// programs embed, from the public key list kept with package oda's test
// vectors. From the repository root:
//
//	go run ./assets/capk/gen -tsv emv/oda/testdata/capk/capk_list.tsv -out assets/capk/default.json
//
// Each row's set comes from its source: lumag/emv-tools' *-test.keys files
// are the test set and its visa/mastercard/amex.keys files the live set. A
// row from openemv/emv-utils takes the set of the emv-tools row holding the
// same key, or the test set when there is none; that matches the live/test
// labels in emv-utils' own source. Rows that repeat a key are merged, keeping
// an expiry date where one source gives it.
package main

import (
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"lingqian/emv/oda"
)

func main() {
	tsv := flag.String("tsv", "emv/oda/testdata/capk/capk_list.tsv", "the key list")
	out := flag.String("out", "assets/capk/default.json", "the key file to write")
	flag.Parse()
	if err := run(*tsv, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

type row struct {
	source string
	key    oda.CAPK
}

func run(tsvPath, outPath string) error {
	raw, err := os.ReadFile(tsvPath)
	if err != nil {
		return err
	}
	rows, err := parse(string(raw))
	if err != nil {
		return err
	}
	// The emv-tools rows first: they name the set.
	setOf := map[[20]byte]string{}
	for i := range rows {
		r := &rows[i]
		switch {
		case strings.HasPrefix(r.source, "lumag/emv-tools") && strings.HasSuffix(r.source, "-test.keys"):
			r.key.Set = oda.SetTest
		case strings.HasPrefix(r.source, "lumag/emv-tools"):
			r.key.Set = oda.SetLive
		default:
			continue
		}
		setOf[r.key.Checksum()] = r.key.Set
	}
	merged := map[string]oda.CAPK{}
	for _, r := range rows {
		k := r.key
		if !strings.HasPrefix(r.source, "lumag/emv-tools") {
			k.Set = oda.SetTest
			if set, ok := setOf[k.Checksum()]; ok {
				k.Set = set
			}
		}
		id := k.Name()
		old, ok := merged[id]
		switch {
		case !ok:
			merged[id] = k
		case old.Checksum() != k.Checksum():
			return fmt.Errorf("%s: two different keys", id)
		case old.Expires.IsZero():
			merged[id] = k
		}
	}
	keys := slices.Collect(func(yield func(oda.CAPK) bool) {
		for _, k := range merged {
			if !yield(k) {
				return
			}
		}
	})
	slices.SortFunc(keys, func(a, b oda.CAPK) int {
		if c := strings.Compare(a.Set, b.Set); c != 0 {
			return c
		}
		if c := bytes.Compare(a.RID[:], b.RID[:]); c != 0 {
			return c
		}
		return int(a.Index) - int(b.Index)
	})
	data, err := oda.MarshalFile(keys)
	if err != nil {
		return err
	}
	if err := os.WriteFile(outPath, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("gen: %d keys from %d rows -> %s\n", len(keys), len(rows), outPath)
	return nil
}

// parse reads the list: source, RID, index, expiry (YYMMDD, 000000 or n/a),
// bits, exponent, modulus, checksum, verified. Every checksum is checked.
func parse(text string) ([]row, error) {
	var rows []row
	for n, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 9 {
			return nil, fmt.Errorf("line %d: %d columns, want 9", n+1, len(f))
		}
		var k oda.CAPK
		rid, err1 := hex.DecodeString(f[1])
		idx, err2 := hex.DecodeString(f[2])
		exp, err3 := hex.DecodeString(f[5])
		mod, err4 := hex.DecodeString(f[6])
		sum, err5 := hex.DecodeString(f[7])
		if err := firstErr(err1, err2, err3, err4, err5); err != nil || len(rid) != 5 || len(idx) != 1 {
			return nil, fmt.Errorf("line %d: bad RID, index or hex: %v", n+1, err)
		}
		copy(k.RID[:], rid)
		k.Index, k.Exponent, k.Modulus = idx[0], exp, mod
		if f[3] != "000000" && f[3] != "n/a" {
			t, err := time.Parse("060102", f[3])
			if err != nil {
				return nil, fmt.Errorf("line %d: expiry %q: %v", n+1, f[3], err)
			}
			k.Expires = t
		}
		if got := k.Checksum(); !bytes.Equal(got[:], sum) {
			return nil, fmt.Errorf("line %d: %s: checksum %X, list says %X", n+1, k.Name(), got, sum)
		}
		rows = append(rows, row{source: f[0], key: k})
	}
	return rows, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
