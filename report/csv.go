package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"lingqian/app"
)

// CSVHeader is the CSV's header row. The columns are for machines and
// stay the same in every language; only label is in the reader's.
var CSVHeader = []string{"report", "number", "made", "group", "key", "count", "amount", "label"}

// CSV writes the report as one header row (CSVHeader) and one row per
// figure: group state with keys posted, pending, rejected and voided;
// group of_posted, key duplicate (purchases the bank already had, also
// counted as posted); group total, key not_voided (posted + pending +
// rejected); group cashier, keyed by operator ID; group hour, keys 00 to
// 23. Amounts are in yuan with two decimals (12.50); made is RFC 3339.
func CSV(w io.Writer, r app.Report, lang string) error {
	c := csv.NewWriter(w)
	_ = c.Write(CSVHeader)
	num := ""
	if r.Kind == "Z" {
		num = strconv.FormatInt(r.Number, 10)
	}
	at := r.Made.Format("2006-01-02T15:04:05Z07:00")
	write := func(l line) {
		_ = c.Write([]string{r.Kind, num, at, l.group, l.key, strconv.Itoa(l.t.Count), app.FormatMoney(l.t.Amount), l.label})
	}
	split, duplicate, total := states(r, lang)
	for _, l := range split {
		write(l)
	}
	write(duplicate)
	write(total)
	for _, l := range cashiers(r) {
		write(l)
	}
	for _, l := range hours(r, lang) {
		write(l)
	}
	c.Flush()
	if err := c.Error(); err != nil {
		return fmt.Errorf("report: CSV: %w", err)
	}
	return nil
}
