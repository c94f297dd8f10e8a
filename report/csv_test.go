package report

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"lingqian/app"
)

// parseCSV reads the CSV back: its header, and its rows by group and key.
func parseCSV(t *testing.T, b []byte) (header []string, rows map[string]map[string][]string) {
	t.Helper()
	records, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read it back: %v\n%s", err, b)
	}
	rows = map[string]map[string][]string{}
	for _, rec := range records[1:] {
		if rows[rec[3]] == nil {
			rows[rec[3]] = map[string][]string{}
		}
		rows[rec[3]][rec[4]] = rec
	}
	return records[0], rows
}

// money reads an amount column back into fen.
func money(t *testing.T, s string) app.Money {
	t.Helper()
	if !regexp.MustCompile(`^-?\d+\.\d\d$`).MatchString(s) {
		t.Fatalf("amount %q is not written like 12.50", s)
	}
	m, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return app.Money(m*100 + 0.5)
}

func TestCSV_ParsesBackWithItsTotals(t *testing.T) {
	for _, tc := range []struct {
		lang, posted, hour9 string
	}{
		{app.English, "posted", "09:00 to 10:00"},
		{app.SimplifiedChinese, "已入账", "09:00 至 10:00"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given a Z report of a day
			r := aDay()

			// When it is written as CSV and read back with encoding/csv
			var b bytes.Buffer
			if err := CSV(&b, r, tc.lang); err != nil {
				t.Fatal(err)
			}
			header, rows := parseCSV(t, b.Bytes())

			// Then the header is the same machine columns in every language
			if !slices.Equal(header, CSVHeader) {
				t.Fatalf("header %q, want %q", header, CSVHeader)
			}
			// And the states carry the report's counts and amounts, labelled in the language
			for key, want := range map[string]app.Totals{"posted": r.Posted, "pending": r.Pending, "rejected": r.Rejected, "voided": r.Voided} {
				row := rows["state"][key]
				if row == nil {
					t.Fatalf("no state row %q", key)
				}
				if row[0] != "Z" || row[1] != "7" || row[2] != "2025-03-14T21:05:00+08:00" {
					t.Errorf("row %q does not say which report", row)
				}
				if row[5] != strconv.Itoa(want.Count) || money(t, row[6]) != want.Amount {
					t.Errorf("%s: %s %s, want %d %s", key, row[5], row[6], want.Count, app.FormatMoney(want.Amount))
				}
			}
			if got := rows["state"]["posted"][7]; got != tc.posted {
				t.Errorf("posted labelled %q, want %q", got, tc.posted)
			}
			if got := rows["of_posted"]["duplicate"]; got == nil || got[5] != "1" || got[6] != "5.00" {
				t.Errorf("duplicates %q", got)
			}
			// And the cashiers and the hours each add up to the total not voided
			total := rows["total"]["not_voided"]
			if total == nil || total[5] != "53" || total[6] != "1547.25" {
				t.Fatalf("total %q, want 53 sales of 1547.25", total)
			}
			for _, group := range []string{"cashier", "hour"} {
				var n int
				var sum app.Money
				for _, row := range rows[group] {
					c, _ := strconv.Atoi(row[5])
					n += c
					sum += money(t, row[6])
				}
				if strconv.Itoa(n) != total[5] || app.FormatMoney(sum) != total[6] {
					t.Errorf("%s rows add up to %d %s, the total says %s %s", group, n, app.FormatMoney(sum), total[5], total[6])
				}
			}
			if len(rows["hour"]) != 24 || rows["hour"]["09"][7] != tc.hour9 {
				t.Errorf("%d hour rows, 09 labelled %q", len(rows["hour"]), rows["hour"]["09"][7])
			}
			if rows["cashier"]["li.na"][6] != "1000.00" {
				t.Errorf("li.na %q", rows["cashier"]["li.na"])
			}
		})
	}
}

func TestCSV_XReportOfAnEmptyDay(t *testing.T) {
	// Given an X report over no entries
	r := app.Report{Kind: "X", FirstSeq: 5, LastSeq: 4}

	// When it is written as CSV
	var b bytes.Buffer
	if err := CSV(&b, r, app.English); err != nil {
		t.Fatal(err)
	}
	_, rows := parseCSV(t, b.Bytes())

	// Then every state is there with nothing in it, and no number
	for _, key := range []string{"posted", "pending", "rejected", "voided"} {
		if row := rows["state"][key]; row == nil || row[1] != "" || row[5] != "0" || row[6] != "0.00" {
			t.Errorf("%s: %q", key, row)
		}
	}
	if len(rows["cashier"]) != 0 {
		t.Errorf("cashiers %q", rows["cashier"])
	}
}
