// Package report renders the desk's X and Z reports as the documents a
// shop owner files: CSV for a spreadsheet, PDF to print and keep. The
// words are the desk's own (app messages), in English or Simplified
// Chinese.
package report

import (
	"fmt"
	"sort"
	"time"

	"lingqian/app"
)

// Shop is whose report it is, as the document's heading shows it.
type Shop struct {
	Name       string // the merchant's name, as receipts show it
	MerchantID string
	TerminalID string
}

// line is one figure of a report: a group (state, cashier, hour…), a key
// stable for machines, a label in the reader's language, and its totals.
type line struct {
	group string
	key   string
	label string
	t     app.Totals
}

// Groups and keys of the CSV's machine columns.
const (
	groupState     = "state"
	groupOfPosted  = "of_posted"
	groupTotal     = "total"
	groupCashier   = "cashier"
	groupHour      = "hour"
	keyPosted      = "posted"
	keyPending     = "pending"
	keyRejected    = "rejected"
	keyVoided      = "voided"
	keyDuplicate   = "duplicate"
	keyNotVoided   = "not_voided"
	noCashierLabel = "—"
)

// states are the report's split by where each purchase stands at the
// bank, then the duplicates among the posted and the total not voided.
func states(r app.Report, lang string) (split []line, duplicate, total line) {
	split = []line{
		{groupState, keyPosted, app.MsgStatePosted.Text(lang), r.Posted},
		{groupState, keyPending, app.MsgStatePending.Text(lang), r.Pending},
		{groupState, keyRejected, app.MsgStateRejected.Text(lang), r.Rejected},
		{groupState, keyVoided, app.MsgStateVoided.Text(lang), r.Voided},
	}
	duplicate = line{groupOfPosted, keyDuplicate, app.MsgReportDuplicate.Text(lang), r.Duplicate}
	sum := app.Totals{Count: r.Posted.Count + r.Pending.Count + r.Rejected.Count,
		Amount: r.Posted.Amount + r.Pending.Amount + r.Rejected.Amount}
	total = line{groupTotal, keyNotVoided, app.MsgReportTotal.Text(lang), sum}
	return split, duplicate, total
}

// cashiers are the purchases not voided by cashier, in the order of
// their IDs.
func cashiers(r app.Report) []line {
	ids := make([]string, 0, len(r.ByCashier))
	for id := range r.ByCashier {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	out := make([]line, 0, len(ids))
	for _, id := range ids {
		label := id
		if label == "" {
			label = noCashierLabel
		}
		out = append(out, line{groupCashier, id, label, r.ByCashier[id]})
	}
	return out
}

// hours are the purchases not voided by the hour of the desk's clock,
// all 24 of them.
func hours(r app.Report, lang string) []line {
	out := make([]line, 0, len(r.ByHour))
	for h, t := range r.ByHour {
		out = append(out, line{groupHour, fmt.Sprintf("%02d", h), app.MsgReportHour.Textf(lang, h, h+1), t})
	}
	return out
}

// title is the report's name: "X report (the day so far)", "Z report no. 3".
func title(r app.Report, lang string) string {
	if r.Kind == "Z" {
		return app.MsgReportZTitle.Textf(lang, r.Number)
	}
	return app.MsgXReport.Text(lang)
}

// entries says which journal entries the report covers.
func entries(r app.Report, lang string) string {
	if r.LastSeq < r.FirstSeq {
		return app.MsgReportNoEntries.Textf(lang, r.FirstSeq-1)
	}
	return app.MsgReportRange.Textf(lang, r.FirstSeq, r.LastSeq)
}

// made is when the report was made, on the desk's clock, with its offset
// from UTC so that a filed report says which clock.
func made(t time.Time) string { return t.Format("2006-01-02 15:04:05 -07:00") }

// shopOf fills the shop's IDs from the report where the caller left them
// out; a report's own terminal and merchant are what it covered.
func shopOf(r app.Report, s Shop) Shop {
	if r.Terminal != "" {
		s.TerminalID = r.Terminal
	}
	if r.Merchant != "" {
		s.MerchantID = r.Merchant
	}
	return s
}
