package pgstore

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
)

// Desk detail messages and the reports made of them.

const messageCols = `id, terminal_id, merchant_id, key, seq, kind, ref, at, received_at, pan, psn, atc, amount, currency,
	txn_date, txn_type, cid, aid, ac, iad, tvr, un, pdol_data, cdol1_data, genac_response, state, reason, slot, confirmed,
	coalesce(posting_id, 0)`

func scanMessage(r pgx.Row) (bank.Message, error) {
	var m bank.Message
	var at, received int64
	var atc, txnType, cid int32
	var state string
	err := r.Scan(&m.ID, &m.TerminalID, &m.MerchantID, &m.Key, &m.Seq, &m.Kind, &m.Ref, &at, &received, &m.PAN, &m.PSN,
		&atc, &m.Amount, &m.Currency, &m.Date, &txnType, &cid, &m.AID, &m.AC, &m.IAD, &m.TVR, &m.UN, &m.PDOLData,
		&m.CDOL1Data, &m.GenACResponse, &state, &m.Reason, &m.Slot, &m.Confirmed, &m.PostingID)
	m.At, m.Received = fromNanos(at), fromNanos(received)
	m.ATC, m.TxnType, m.CID = uint16(atc), byte(txnType), byte(cid)
	m.State = bank.MessageState(state)
	return m, err
}

// messageColumns are the columns a new message is written with and their
// types, in the order messageValues gives the values.
var messageColumns = []struct{ name, typ string }{
	{"id", "bigint"}, {"terminal_id", "text"}, {"merchant_id", "text"}, {"key", "text"}, {"seq", "bigint"},
	{"kind", "text"}, {"ref", "bigint"}, {"at", "bigint"}, {"received_at", "bigint"}, {"pan", "text"},
	{"psn", "text"}, {"atc", "int"}, {"amount", "bigint"}, {"currency", "text"}, {"txn_date", "text"},
	{"txn_type", "int"}, {"cid", "int"}, {"aid", "bytea"}, {"ac", "bytea"}, {"iad", "bytea"}, {"tvr", "bytea"},
	{"un", "bytea"}, {"pdol_data", "bytea"}, {"cdol1_data", "bytea"}, {"genac_response", "bytea"},
	{"state", "text"}, {"reason", "text"}, {"slot", "boolean"}, {"confirmed", "boolean"}, {"posting_id", "bigint"},
}

func messageValues(m *bank.Message) []any {
	return []any{m.ID, m.TerminalID, m.MerchantID, m.Key, m.Seq, m.Kind, m.Ref, nanos(m.At), nanos(m.Received),
		m.PAN, m.PSN, int32(m.ATC), m.Amount, m.Currency, m.Date, int32(m.TxnType), int32(m.CID), m.AID, m.AC, m.IAD,
		m.TVR, m.UN, m.PDOLData, m.CDOL1Data, m.GenACResponse, string(m.State), m.Reason, m.Slot, m.Confirmed,
		nullID(m.PostingID)}
}

// insertMessage gives the message the highest ID plus one, as SQLite
// gives a rowid, so the IDs InsertMessages is given (LastMessageID plus
// one, plus two…) never meet a sequence's. insertMessages takes each
// column as one array.
var insertMessage, insertMessages = func() (string, string) {
	names := make([]string, len(messageColumns))
	one := []string{`(SELECT coalesce(max(id), 0) + 1 FROM messages)`}
	arrays := make([]string, len(messageColumns))
	for i, c := range messageColumns {
		names[i] = c.name
		if i > 0 {
			one = append(one, "$"+strconv.Itoa(i)+"::"+c.typ)
		}
		arrays[i] = "$" + strconv.Itoa(i+1) + "::" + c.typ + "[]"
	}
	head := `INSERT INTO messages (` + strings.Join(names, ", ") + `) SELECT `
	return head + strings.Join(one, ", ") + ` ON CONFLICT DO NOTHING RETURNING id`,
		head + `* FROM unnest(` + strings.Join(arrays, ", ") + `) ON CONFLICT DO NOTHING`
}()

func (t *pgTx) InsertMessage(m *bank.Message) error {
	what := fmt.Sprintf("message %d of %s", m.Seq, m.TerminalID)
	err := t.row(insertMessage, messageValues(m)[1:]...).Scan(&m.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, bank.ErrExists)
	}
	return one(err, what)
}

// InsertMessages writes messages with the IDs they carry, in one
// statement: each column an array.
func (t *pgTx) InsertMessages(ms []bank.Message) error {
	if len(ms) == 0 {
		return nil
	}
	cols := make([]any, len(messageColumns))
	arrays := make([][]any, len(messageColumns))
	for i := range arrays {
		arrays[i] = make([]any, 0, len(ms))
	}
	for i := range ms {
		for j, v := range messageValues(&ms[i]) {
			arrays[j] = append(arrays[j], v)
		}
	}
	for j := range arrays {
		cols[j] = arrays[j]
	}
	tag, err := t.exec(insertMessages, cols...)
	return inserted(tag, err, len(ms), fmt.Sprintf("%d messages of %s", len(ms), ms[0].TerminalID))
}

// LastMessageID is the highest message ID, 0 when there is none.
func (t *pgTx) LastMessageID() (int64, error) {
	var id int64
	if err := t.row(`SELECT coalesce(max(id), 0) FROM messages`).Scan(&id); err != nil {
		return 0, fmt.Errorf("messages: %w", err)
	}
	return id, nil
}

// UpdateMessage changes what may change after a message arrived: its
// state, reason, confirmation and posting.
func (t *pgTx) UpdateMessage(m bank.Message) error {
	tag, err := t.exec(`UPDATE messages SET state = $1, reason = $2, confirmed = $3, posting_id = $4 WHERE id = $5`,
		string(m.State), m.Reason, m.Confirmed, nullID(m.PostingID), m.ID)
	if err != nil {
		return fmt.Errorf("message %d of %s: %w", m.Seq, m.TerminalID, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("message %d of %s: %w", m.Seq, m.TerminalID, bank.ErrNotFound)
	}
	return nil
}

func (t *pgTx) message(what, where string, args ...any) (bank.Message, error) {
	m, err := scanMessage(t.row(`SELECT `+messageCols+` FROM messages WHERE `+where, args...))
	return m, one(err, what)
}

func (t *pgTx) MessageByKey(terminalID, key string) (bank.Message, error) {
	return t.message("message "+key, `terminal_id = $1 AND key = $2`, terminalID, key)
}

func (t *pgTx) MessageBySeq(terminalID string, seq int64) (bank.Message, error) {
	return t.message(fmt.Sprintf("message %d of %s", seq, terminalID), `terminal_id = $1 AND seq = $2`, terminalID, seq)
}

func (t *pgTx) SlotHolder(pan, psn string, atc uint16) (bank.Message, error) {
	return t.message(fmt.Sprintf("purchase at ATC %d", atc), `pan = $1 AND psn = $2 AND atc = $3 AND slot`, pan, psn, int32(atc))
}

// VoidOf finds the first void a desk sent for its message seq, if any.
func (t *pgTx) VoidOf(terminalID string, seq int64) (bank.Message, error) {
	return t.message(fmt.Sprintf("void of %d of %s", seq, terminalID),
		`terminal_id = $1 AND ref = $2 AND kind = 'void' ORDER BY seq LIMIT 1`, terminalID, seq)
}

func (t *pgTx) messages(q string, args ...any) ([]bank.Message, error) {
	return list(t, "messages", scanMessage, q, args...)
}

func (t *pgTx) MessagesByKeys(terminalID string, keys []string) ([]bank.Message, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	return t.messages(`SELECT `+messageCols+` FROM messages WHERE terminal_id = $1 AND key = ANY($2::text[])`, terminalID, keys)
}

func (t *pgTx) MessagesBySeqs(terminalID string, seqs []int64) ([]bank.Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	return t.messages(`SELECT `+messageCols+` FROM messages WHERE terminal_id = $1 AND seq = ANY($2::bigint[])`, terminalID, seqs)
}

// VoidsOf lists every void a desk sent for any of seqs; VoidOf picks the
// first of them.
func (t *pgTx) VoidsOf(terminalID string, seqs []int64) ([]bank.Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	return t.messages(`SELECT `+messageCols+` FROM messages
		WHERE terminal_id = $1 AND kind = 'void' AND ref = ANY($2::bigint[])`, terminalID, seqs)
}

func (t *pgTx) SlotHolders(slots []bank.ATCSlot) ([]bank.Message, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	pans, psns, atcs := slotArrays(slots)
	return t.messages(`SELECT `+messageCols+`
		FROM unnest($1::text[], $2::text[], $3::int[]) AS want (want_pan, want_psn, want_atc)
		JOIN messages ON pan = want_pan AND psn = want_psn AND atc = want_atc AND slot`, pans, psns, atcs)
}

// TerminalStates lists where a desk's messages after sinceSeq stand, in
// seq order; limit <= 0 lists them all.
func (t *pgTx) TerminalStates(terminalID string, sinceSeq int64, limit int) ([]bank.FeedEntry, error) {
	return list(t, "message states of "+terminalID, func(r pgx.Row) (bank.FeedEntry, error) {
		var m bank.FeedEntry
		var state string
		err := r.Scan(&m.Seq, &m.Key, &m.Kind, &state, &m.Reason, &m.Amount)
		m.State = bank.MessageState(state)
		return m, err
	}, `SELECT seq, key, kind, state, reason, amount FROM messages
		WHERE terminal_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, terminalID, sinceSeq, noLimit(limit))
}

func (t *pgTx) WalletMessages(pan, psn string) ([]bank.Message, error) {
	return t.messages(`SELECT `+messageCols+` FROM messages WHERE pan = $1 AND psn = $2 ORDER BY atc, id`, pan, psn)
}

// MerchantDays sums purchases per merchant and transaction day. Voided
// purchases count nowhere, as on the desk's reports.
func (t *pgTx) MerchantDays(f bank.ReportFilter) ([]bank.DayTotals, error) {
	q := `SELECT merchant_id, txn_date, state, count(*), coalesce(sum(amount), 0)::bigint FROM messages
		WHERE kind = 'purchase' AND reason <> 'voided'`
	var args []any
	if f.MerchantID != "" {
		args = append(args, f.MerchantID)
		q += ` AND merchant_id = $` + strconv.Itoa(len(args))
	}
	if f.Date != "" {
		args = append(args, f.Date)
		q += ` AND txn_date = $` + strconv.Itoa(len(args))
	}
	q += ` GROUP BY merchant_id, txn_date, state ORDER BY merchant_id, txn_date`
	type row struct {
		merchant, date, state string
		tot                   bank.Totals
	}
	rows, err := list(t, "report", func(r pgx.Row) (row, error) {
		var v row
		err := r.Scan(&v.merchant, &v.date, &v.state, &v.tot.Count, &v.tot.Amount)
		return v, err
	}, q, args...)
	if err != nil {
		return nil, err
	}
	var out []bank.DayTotals
	for _, v := range rows {
		if n := len(out); n == 0 || out[n-1].MerchantID != v.merchant || out[n-1].Date != v.date {
			out = append(out, bank.DayTotals{MerchantID: v.merchant, Date: v.date})
		}
		d := &out[len(out)-1]
		switch bank.MessageState(v.state) {
		case bank.StatePosted:
			d.Posted = v.tot
		case bank.StatePending:
			d.Pending = v.tot
		default:
			d.Rejected = v.tot
		}
	}
	return out, nil
}
