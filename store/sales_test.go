package store

import (
	"context"
	"testing"
	"time"

	"lingqian/app"
)

func TestSalesPage_FiltersSearchAndPages(t *testing.T) {
	ctx := context.Background()
	// Given a day of sales in every state (aDay): a posted, a duplicate, a
	// rejected, a captured, an acknowledged and a voided purchase
	db := openTemp(t)
	aDay(t, db)
	seqs := func(rows []app.SaleRow) []int64 {
		var out []int64
		for _, r := range rows {
			out = append(out, r.Entry.Seq)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		f    app.SaleFilter
		want []int64
	}{
		{"all, newest first", app.SaleFilter{}, []int64{6, 5, 4, 3, 2, 1}},
		{"pending: not final, not voided", app.SaleFilter{Show: app.ShowPending}, []int64{5, 4}},
		{"rejected", app.SaleFilter{Show: app.ShowRejected}, []int64{3}},
		{"differences", app.SaleFilter{Show: app.ShowDifferences}, []int64{3, 2}},
		{"by cashier", app.SaleFilter{Cashier: "wang.wei"}, []int64{5, 4, 3}},
		{"by day", app.SaleFilter{Day: at(0, 0, 0)}, []int64{6, 5, 4, 3, 2, 1}},
		{"another day", app.SaleFilter{Day: at(0, 0, 0).AddDate(0, 0, 1)}, nil},
		{"a sequence number", app.SaleFilter{Search: "4"}, []int64{4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := db.SalesPage(ctx, tc.f, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			if got := seqs(rows); len(got) != len(tc.want) || (len(got) > 0 && got[0] != tc.want[0]) || !equal(got, tc.want) {
				t.Fatalf("seqs %v, want %v", got, tc.want)
			}
		})
	}
	// A voided sale says so, and a rejected one carries the bank's reason
	rows, _ := db.SalesPage(ctx, app.SaleFilter{}, 0, 100)
	if !rows[0].Voided {
		t.Errorf("sale %d not shown voided", rows[0].Entry.Seq)
	}
	h := mustAppend(t, db, purchase("h", 500, "li.na", at(17, 0, 0)))
	if err := db.SetState(ctx, h.Seq, app.StateRejected, "hotlisted", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.SalesPage(ctx, app.SaleFilter{Show: app.ShowRejected}, 0, 1); len(got) != 1 || got[0].Reason != "hotlisted" {
		t.Errorf("rejected %+v", got)
	}
	// Pages follow one another by sequence number
	first, _ := db.SalesPage(ctx, app.SaleFilter{}, 0, 4)
	next, _ := db.SalesPage(ctx, app.SaleFilter{}, first[len(first)-1].Entry.Seq, 4)
	if !equal(seqs(first), []int64{9, 6, 5, 4}) || !equal(seqs(next), []int64{3, 2, 1}) {
		t.Errorf("pages %v then %v", seqs(first), seqs(next))
	}
	// A masked PAN as printed finds the wallet's sales; nonsense is refused
	pan := rows[0].Entry.PAN
	masked := app.MaskPAN(pan)
	if got, err := db.SalesPage(ctx, app.SaleFilter{Search: masked}, 0, 100); err != nil || len(got) != 7 {
		t.Errorf("search %q: %d rows, %v", masked, len(got), err)
	}
	if got, _ := db.SalesPage(ctx, app.SaleFilter{Search: pan[len(pan)-4:]}, 0, 100); len(got) != 7 {
		t.Errorf("the last four digits found %d sales", len(got))
	}
	if _, err := db.SalesPage(ctx, app.SaleFilter{Search: "12ab"}, 0, 100); err == nil {
		t.Error("a search of letters was taken")
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
