package bank

import (
	"cmp"
	"fmt"
	"slices"
)

// Desk detail messages and the reports made of them.

const messageCols = `id, terminal_id, merchant_id, key, seq, kind, ref, at, received_at, pan, psn, atc, amount, currency,
	txn_date, txn_type, cid, aid, ac, iad, tvr, un, pdol_data, cdol1_data, genac_response, state, reason, slot, confirmed,
	coalesce(posting_id, 0)`

func scanMessage(r scanner) (Message, error) {
	var m Message
	var at, received int64
	var atc, txnType, cid, slot, confirmed int
	var state string
	err := r.Scan(&m.ID, &m.TerminalID, &m.MerchantID, &m.Key, &m.Seq, &m.Kind, &m.Ref, &at, &received, &m.PAN, &m.PSN,
		&atc, &m.Amount, &m.Currency, &m.Date, &txnType, &cid, &m.AID, &m.AC, &m.IAD, &m.TVR, &m.UN, &m.PDOLData,
		&m.CDOL1Data, &m.GenACResponse, &state, &m.Reason, &slot, &confirmed, &m.PostingID)
	m.At, m.Received = fromNanos(at), fromNanos(received)
	m.ATC, m.TxnType, m.CID = uint16(atc), byte(txnType), byte(cid)
	m.State, m.Slot, m.Confirmed = MessageState(state), slot == 1, confirmed == 1
	return m, err
}

// insertMessageCols are the columns a new message is written with, in the
// order appendMessage gives their values.
const insertMessageCols = `terminal_id, merchant_id, key, seq, kind, ref, at, received_at, pan, psn, atc, amount,
	currency, txn_date, txn_type, cid, aid, ac, iad, tvr, un, pdol_data, cdol1_data, genac_response, state, reason, slot,
	confirmed, posting_id`

const insertMessageWidth = 29

// appendMessage appends the values InsertMessage writes, as int64 where
// they are numbers: the driver takes those as they are, and converts any
// other integer type by reflection.
func appendMessage(args []any, m *Message) []any {
	var posting any
	if m.PostingID != 0 {
		posting = m.PostingID
	}
	return append(args, m.TerminalID, m.MerchantID, m.Key, m.Seq, m.Kind, m.Ref, nanos(m.At), nanos(m.Received),
		m.PAN, m.PSN, int64(m.ATC), m.Amount, m.Currency, m.Date, int64(m.TxnType), int64(m.CID), m.AID, m.AC, m.IAD,
		m.TVR, m.UN, m.PDOLData, m.CDOL1Data, m.GenACResponse, string(m.State), m.Reason, int64(boolInt(m.Slot)),
		int64(boolInt(m.Confirmed)), posting)
}

func (t *sqlTx) InsertMessage(m *Message) error {
	res, err := t.exec(`INSERT INTO messages (`+insertMessageCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		appendMessage(make([]any, 0, insertMessageWidth), m)...)
	if err := unique(err, fmt.Sprintf("message %d of %s", m.Seq, m.TerminalID)); err != nil {
		return err
	}
	m.ID, err = res.LastInsertId()
	return err
}

// InsertMessages writes messages with the IDs they carry: the ones
// InsertMessage would have been given, when they follow LastMessageID.
func (t *sqlTx) InsertMessages(ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	args := make([]any, 0, len(ms)*(insertMessageWidth+1))
	for i := range ms {
		args = appendMessage(append(args, ms[i].ID), &ms[i])
	}
	_, err := t.execRows(`INSERT INTO messages (id, `+insertMessageCols+`) VALUES `, "", insertMessageWidth+1, args)
	return unique(err, fmt.Sprintf("%d messages of %s", len(ms), ms[0].TerminalID))
}

// LastMessageID is the highest message ID, 0 when there is none.
func (t *sqlTx) LastMessageID() (int64, error) {
	var id int64
	if err := t.row(`SELECT coalesce(max(id), 0) FROM messages`).Scan(&id); err != nil {
		return 0, fmt.Errorf("messages: %w", err)
	}
	return id, nil
}

// UpdateMessage changes what may change after a message arrived: its
// state, reason, confirmation and posting.
func (t *sqlTx) UpdateMessage(m Message) error {
	var posting any
	if m.PostingID != 0 {
		posting = m.PostingID
	}
	res, err := t.exec(`UPDATE messages SET state = ?, reason = ?, confirmed = ?, posting_id = ? WHERE id = ?`,
		string(m.State), m.Reason, boolInt(m.Confirmed), posting, m.ID)
	if err != nil {
		return fmt.Errorf("message %d of %s: %w", m.Seq, m.TerminalID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("message %d of %s: %w", m.Seq, m.TerminalID, ErrNotFound)
	}
	return nil
}

func (t *sqlTx) message(what, where string, args ...any) (Message, error) {
	m, err := scanMessage(t.row(`SELECT `+messageCols+` FROM messages WHERE `+where, args...))
	return m, one(err, what)
}

func (t *sqlTx) MessageByKey(terminalID, key string) (Message, error) {
	return t.message("message "+key, `terminal_id = ? AND key = ?`, terminalID, key)
}

func (t *sqlTx) MessageBySeq(terminalID string, seq int64) (Message, error) {
	return t.message(fmt.Sprintf("message %d of %s", seq, terminalID), `terminal_id = ? AND seq = ?`, terminalID, seq)
}

func (t *sqlTx) SlotHolder(pan, psn string, atc uint16) (Message, error) {
	return t.message(fmt.Sprintf("purchase at ATC %d", atc), `pan = ? AND psn = ? AND atc = ? AND slot = 1`, pan, psn, int(atc))
}

// VoidOf finds the first void a desk sent for its message seq, if any.
// Clearing asks this of every purchase, nearly always of none: without an
// ORDER BY (the first is picked here) the query is eight times cheaper.
func (t *sqlTx) VoidOf(terminalID string, seq int64) (Message, error) {
	vs, err := t.messages(`SELECT `+messageCols+` FROM messages WHERE terminal_id = ? AND ref = ? AND kind = 'void'`, terminalID, seq)
	if err != nil {
		return Message{}, err
	}
	if len(vs) == 0 {
		return Message{}, fmt.Errorf("void of %d of %s: %w", seq, terminalID, ErrNotFound)
	}
	return slices.MinFunc(vs, func(a, b Message) int { return cmp.Compare(a.Seq, b.Seq) }), nil
}

// MessagesByKeys sends the keys as JSON, which carries any valid UTF-8;
// a stored key is printable ASCII anyway (WireMessage.keyed).
func (t *sqlTx) MessagesByKeys(terminalID string, keys []string) ([]Message, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	list, err := jsonList(keys)
	if err != nil {
		return nil, fmt.Errorf("messages of %s by key: %w", terminalID, err)
	}
	return t.messages(`SELECT `+messageCols+` FROM messages WHERE terminal_id = ? AND key IN (SELECT value FROM json_each(?))`,
		terminalID, list)
}

func (t *sqlTx) MessagesBySeqs(terminalID string, seqs []int64) ([]Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	list, err := jsonList(seqs)
	if err != nil {
		return nil, fmt.Errorf("messages of %s by seq: %w", terminalID, err)
	}
	return t.messages(`SELECT `+messageCols+` FROM messages WHERE terminal_id = ? AND seq IN (SELECT value FROM json_each(?))`,
		terminalID, list)
}

// VoidsOf lists every void a desk sent for any of seqs; VoidOf picks the
// first of them.
func (t *sqlTx) VoidsOf(terminalID string, seqs []int64) ([]Message, error) {
	if len(seqs) == 0 {
		return nil, nil
	}
	list, err := jsonList(seqs)
	if err != nil {
		return nil, fmt.Errorf("voids of %s: %w", terminalID, err)
	}
	return t.messages(`SELECT `+messageCols+` FROM messages
		WHERE terminal_id = ? AND kind = 'void' AND ref IN (SELECT value FROM json_each(?))`, terminalID, list)
}

func (t *sqlTx) SlotHolders(slots []ATCSlot) ([]Message, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	list, err := slotList(slots)
	if err != nil {
		return nil, fmt.Errorf("slot holders: %w", err)
	}
	// The CROSS JOIN keeps the wanted slots outside, so each probes
	// messages_slot on all three columns.
	return t.messages(`WITH want (want_pan, want_psn, want_atc) AS (
			SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))
		SELECT `+messageCols+` FROM want CROSS JOIN messages
		WHERE pan = want_pan AND psn = want_psn AND atc = want_atc AND slot = 1`, list)
}

// slotList is slots as a JSON array of [pan, psn, atc].
func slotList(slots []ATCSlot) (string, error) {
	rows := make([][3]any, len(slots))
	for i, s := range slots {
		rows[i] = [3]any{s.PAN, s.PSN, s.ATC}
	}
	return jsonList(rows)
}

func (t *sqlTx) messages(q string, args ...any) ([]Message, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messages: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// TerminalStates lists where a desk's messages after sinceSeq stand, in
// seq order; limit <= 0 lists them all.
func (t *sqlTx) TerminalStates(terminalID string, sinceSeq int64, limit int) ([]FeedEntry, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := t.query(`SELECT seq, key, kind, state, reason, amount FROM messages
		WHERE terminal_id = ? AND seq > ? ORDER BY seq LIMIT ?`, terminalID, sinceSeq, int64(limit))
	if err != nil {
		return nil, fmt.Errorf("message states of %s: %w", terminalID, err)
	}
	defer rows.Close()
	var out []FeedEntry
	for rows.Next() {
		var m FeedEntry
		var state string
		if err := rows.Scan(&m.Seq, &m.Key, &m.Kind, &state, &m.Reason, &m.Amount); err != nil {
			return nil, fmt.Errorf("message states of %s: %w", terminalID, err)
		}
		m.State = MessageState(state)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("message states of %s: %w", terminalID, err)
	}
	return out, nil
}

func (t *sqlTx) WalletMessages(pan, psn string) ([]Message, error) {
	return t.messages(`SELECT `+messageCols+` FROM messages WHERE pan = ? AND psn = ? ORDER BY atc, id`, pan, psn)
}

// MerchantDays sums purchases per merchant and transaction day. Voided
// purchases count nowhere, as on the desk's reports.
func (t *sqlTx) MerchantDays(f ReportFilter) ([]DayTotals, error) {
	q := `SELECT merchant_id, txn_date, state, count(*), coalesce(sum(amount), 0) FROM messages
		WHERE kind = 'purchase' AND reason <> 'voided'`
	var args []any
	if f.MerchantID != "" {
		q += ` AND merchant_id = ?`
		args = append(args, f.MerchantID)
	}
	if f.Date != "" {
		q += ` AND txn_date = ?`
		args = append(args, f.Date)
	}
	q += ` GROUP BY merchant_id, txn_date, state ORDER BY merchant_id, txn_date`
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	defer rows.Close()
	var out []DayTotals
	for rows.Next() {
		var merchant, date, state string
		var tot Totals
		if err := rows.Scan(&merchant, &date, &state, &tot.Count, &tot.Amount); err != nil {
			return nil, fmt.Errorf("report: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].MerchantID != merchant || out[n-1].Date != date {
			out = append(out, DayTotals{MerchantID: merchant, Date: date})
		}
		d := &out[len(out)-1]
		switch MessageState(state) {
		case StatePosted:
			d.Posted = tot
		case StatePending:
			d.Pending = tot
		default:
			d.Rejected = tot
		}
	}
	return out, rows.Err()
}
