package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

// nepal is UTC+05:45: a quarter-hour offset, the hardest case for the
// report's quarter-hour slots.
var nepal = time.FixedZone("NPT", 5*3600+45*60)

func at(h, m, s int) time.Time { return time.Date(2026, 3, 2, h, m, s, 0, nepal) }

// aDay appends a day of sales in every state and returns the last entry.
func aDay(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	set := func(e app.Entry, s app.OutboxState) {
		if err := db.SetState(ctx, e.Seq, s, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	set(mustAppend(t, db, purchase("a", 1000, "li.na", at(9, 10, 0))), app.StatePosted)
	set(mustAppend(t, db, purchase("b", 2000, "li.na", at(9, 50, 0))), app.StateDuplicate)
	set(mustAppend(t, db, purchase("c", 4000, "wang.wei", at(13, 5, 0))), app.StateRejected)
	mustAppend(t, db, purchase("d", 8000, "wang.wei", at(13, 59, 59)))
	set(mustAppend(t, db, purchase("e", 16000, "wang.wei", at(14, 0, 0))), app.StateAcknowledged)
	f := mustAppend(t, db, purchase("f", 32000, "li.na", at(15, 0, 0)))
	mustAppend(t, db, void("fv", f, "zhang.san", at(15, 1, 0)))
	mustAppend(t, db, torn("g", at(16, 0, 0)))
}

func TestXReportTotals(t *testing.T) {
	// Given a day of sales in every state, a void and a torn tap
	db := openTemp(t)
	aDay(t, db)

	// When an X report is made on the desk's clock
	r, err := db.XReport(context.Background(), "T1", "M1", at(18, 0, 0))
	if err != nil {
		t.Fatal(err)
	}

	// Then purchases count by their latest state, the voided one only in
	// Voided, and by cashier and local hour
	checks := []struct {
		name      string
		got, want app.Totals
	}{
		{"posted", r.Posted, app.Totals{Count: 2, Amount: 3000}},
		{"duplicate", r.Duplicate, app.Totals{Count: 1, Amount: 2000}},
		{"pending", r.Pending, app.Totals{Count: 2, Amount: 24000}},
		{"rejected", r.Rejected, app.Totals{Count: 1, Amount: 4000}},
		{"voided", r.Voided, app.Totals{Count: 1, Amount: 32000}},
		{"li.na", r.ByCashier["li.na"], app.Totals{Count: 2, Amount: 3000}},
		{"wang.wei", r.ByCashier["wang.wei"], app.Totals{Count: 3, Amount: 28000}},
		{"09h", r.ByHour[9], app.Totals{Count: 2, Amount: 3000}},
		{"13h", r.ByHour[13], app.Totals{Count: 2, Amount: 12000}},
		{"14h", r.ByHour[14], app.Totals{Count: 1, Amount: 16000}},
		{"15h", r.ByHour[15], app.Totals{}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if r.Kind != "X" || r.Number != 0 || r.FirstSeq != 1 || r.LastSeq != 8 || len(r.ByCashier) != 2 || r.Hash != nil {
		t.Errorf("report %+v", r)
	}
}

func TestZReportsAreNumberedSealedAndTileTheJournal(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()

	// Given a day of sales closed as Z report 1
	aDay(t, db)
	z1, err := db.CloseDay(ctx, "zhang.san", "T1", "M1", at(20, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if z1.Kind != "Z" || z1.Number != 1 || z1.FirstSeq != 1 || z1.LastSeq != 8 || len(z1.Hash) != 32 || z1.Pending.Count != 2 {
		t.Fatalf("Z 1: %+v", z1)
	}

	// When the next day has a sale, a void of yesterday's pending sale and
	// a rejection of another of yesterday's
	mustAppend(t, db, purchase("h", 50, "li.na", at(9, 0, 0).Add(24*time.Hour)))
	d, err := db.Entry(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, db, void("dv", d, "zhang.san", at(9, 5, 0).Add(24*time.Hour)))
	if err := db.SetState(ctx, 5, app.StateRejected, "late", time.Time{}); err != nil {
		t.Fatal(err)
	}

	// Then the X report counts only today's entries, and the void of
	// yesterday's sale in Voided
	x, err := db.XReport(ctx, "T1", "M1", at(12, 0, 0).Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if x.FirstSeq != 9 || x.LastSeq != 10 || x.Pending != (app.Totals{Count: 1, Amount: 50}) ||
		x.Voided != (app.Totals{Count: 1, Amount: 8000}) || x.Rejected != (app.Totals{}) {
		t.Errorf("X after Z: %+v", x)
	}
	// And Z report 1 reprints exactly as it was made
	again, err := db.ZReport(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := mustJSON(t, z1), mustJSON(t, again); a != b {
		t.Errorf("reprint\n%s\nwant\n%s", b, a)
	}

	// When the day is closed twice more, the second time with nothing new
	z2, err := db.CloseDay(ctx, "zhang.san", "T1", "M1", at(20, 0, 0).Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	z3, err := db.CloseDay(ctx, "zhang.san", "T1", "M1", at(20, 0, 0).Add(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Then they are numbered 2 and 3 and tile the journal
	if z2.Number != 2 || z2.FirstSeq != 9 || z2.LastSeq != 10 || z3.Number != 3 || z3.FirstSeq != 11 || z3.LastSeq != 10 ||
		z3.Pending != (app.Totals{}) || z3.Voided != (app.Totals{}) {
		t.Errorf("Z 2 %+v\nZ 3 %+v", z2, z3)
	}
	if _, err := db.ZReport(ctx, 4); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("Z 4: %v", err)
	}
	// And each closing left an audit row
	events, err := db.AuditLog(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Action == app.AuditZReport && e.Operator == "zhang.san" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d z_report audit rows, want 3", n)
	}
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Errorf("verify: %+v %v", brk, err)
	}
}

func TestAnEditedZReportIsRefused(t *testing.T) {
	// Given a closed day whose stored report someone edited with the sqlite3 tool
	db := openTemp(t)
	ctx := context.Background()
	aDay(t, db)
	if _, err := db.CloseDay(ctx, "zhang.san", "T1", "M1", at(20, 0, 0)); err != nil {
		t.Fatal(err)
	}
	cli(t, db.Path(), `DROP TRIGGER z_report_no_update;
		UPDATE z_report SET body = replace(body, '"posted":{"count":2,"amount":3000}', '"posted":{"count":2,"amount":300}');`)

	// When it is reprinted, then the seal does not match and it is refused
	if _, err := db.ZReport(ctx, 1); !errors.Is(err, ErrTampered) {
		t.Fatalf("reprint of an edited report: %v, want ErrTampered", err)
	}
}

func TestReportTotalsScanTheIndexWithoutSorting(t *testing.T) {
	// Given the totals query, when SQLite plans it, then it reads the
	// covering index in group order: no temporary b-tree, no table rows
	db := openTemp(t)
	rows, err := db.r.Query(`EXPLAIN QUERY PLAN SELECT voided, state, operator, slot, count(*), sum(amount) FROM outbox_last
		WHERE period = ? AND kind = 'purchase' GROUP BY voided, state, operator, slot`, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(detail + "\n")
	}
	if p := plan.String(); !strings.Contains(p, "COVERING INDEX outbox_last_report") || strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("plan:\n%s", p)
	}
}

func mustJSON(t *testing.T, r app.Report) string {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
