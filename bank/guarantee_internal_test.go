package bank

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"

	"lingqian/issuance"
)

func TestSignedAtDesk(t *testing.T) {
	cdol1, err := issuance.ParseDOL(issuance.DefaultCDOL1)
	if err != nil {
		t.Fatal(err)
	}
	// data is CDOL1 data with the merchant and terminal ids as the
	// kernel fills them.
	data := func(merchant, terminal string) []byte {
		var out []byte
		for _, e := range cdol1 {
			v := make([]byte, e.Length)
			switch e.Tag {
			case 0x9F16:
				copy(v, merchant)
			case 0x9F1C:
				copy(v, terminal)
			}
			out = append(out, v...)
		}
		return out
	}
	old, err := issuance.ParseDOL(issuance.DefaultCDOL1[:len(issuance.DefaultCDOL1)-6])
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name               string
		dol                issuance.DOL
		data               []byte
		merchant, terminal string
		want               string
	}{
		{"padded with spaces, as the desk does", cdol1, data("M001           ", "T0000001"), "M001", "T0000001", ""},
		{"padded with zeros, as the kernel's DOL filler does", cdol1, data("M001", "T0000001"), "M001", "T0000001", ""},
		{"a merchant id of all 15 characters", cdol1, data("MERCHANT-012345", "T0000001"), "MERCHANT-012345", "T0000001", ""},
		{"another merchant", cdol1, data("M001", "T0000001"), "M002", "T0000001", ReasonWrongMerchant},
		{"another merchant whose id starts alike", cdol1, data("M001", "T0000001"), "M0012", "T0000001", ReasonWrongMerchant},
		{"another terminal of the merchant", cdol1, data("M001", "T0000001"), "M001", "T0000002", ReasonWrongMerchant},
		{"ids left empty", cdol1, data("", ""), "M001", "T0000001", ReasonWrongMerchant},
		{"a wallet issued before CDOL1 named them", old, data("", "")[:old.Len()], "M002", "T0000009", ""},
		{"a phone's upload, which names no desk", cdol1, data("M001", "T0000001"), "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := &Message{MerchantID: tc.merchant, TerminalID: tc.terminal, CDOL1Data: tc.data}
			if got, detail := signedAtDesk(tc.dol, m); got != tc.want {
				t.Errorf("%q (%s), want %q", got, detail, tc.want)
			}
		})
	}
}

func TestSums_OverflowIsAnErrorNotAWrappedTotal(t *testing.T) {
	// Given totals near the largest int64
	tot := Totals{Count: 1, Amount: math.MaxInt64 - 5}

	// When more is added than fits
	err := tot.Add(6)

	// Then it fails, and the totals are as they were
	if !errors.Is(err, ErrOverflow) || tot != (Totals{Count: 1, Amount: math.MaxInt64 - 5}) {
		t.Fatalf("%v, totals %+v", err, tot)
	}
	if err := tot.Add(5); err != nil || tot.Amount != math.MaxInt64 {
		t.Fatalf("%v, totals %+v", err, tot)
	}
	if _, err := addChecked(math.MinInt64+1, -2); !errors.Is(err, ErrOverflow) {
		t.Errorf("below the smallest: %v", err)
	}
}

func TestReport_AnOverflowingSumIsAnError(t *testing.T) {
	// Given purchases whose amounts sum past what an int64 holds: three in
	// one day of M009, and two days of M001 of one each (the API never
	// takes more than 999999999999 fen; the store keeps what it is given)
	b := writerBank(t, t.TempDir(), 1, 1000)
	half := int64(math.MaxInt64/2 + 1)
	rows := []struct {
		merchant, date string
		amount         int64
	}{
		{"M009", "2026-03-01", half}, {"M009", "2026-03-01", half}, {"M009", "2026-03-01", half},
		{"M001", "2026-03-02", half}, {"M001", "2026-03-03", half},
	}
	err := b.store.Write(context.Background(), func(tx Tx) error {
		for i, r := range rows {
			m := verified(KindPurchase, int64(i+1), 0, fmt.Sprint("k", i), 0, uint16(i), 0, byte(i)).msg
			m.MerchantID, m.Date, m.Amount, m.State = r.merchant, r.date, r.amount, StateRejected
			if err := tx.InsertMessage(&m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		f    ReportFilter
		ok   bool
	}{
		{"within a day (SQLite's sum)", ReportFilter{Date: "2026-03-01"}, false},
		{"over the days", ReportFilter{MerchantID: "M001"}, false},
		{"one day of one purchase", ReportFilter{Date: "2026-03-02"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// When the report sums them
			rep, err := b.Report(context.Background(), tc.f)
			// Then it fails rather than answer a wrapped total
			if (err == nil) != tc.ok {
				t.Fatalf("%v, totals %+v", err, rep.Rejected)
			}
		})
	}
}
