package bank

import (
	"fmt"
)

// The double-entry ledger: accounts with running balances, postings and
// their lines.

func (t *sqlTx) EnsureAccount(name string, typ AccountType) error {
	_, err := t.exec(`INSERT INTO accounts (name, type) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, string(typ))
	if err != nil {
		return fmt.Errorf("account %s: %w", name, err)
	}
	return nil
}

func (t *sqlTx) Account(name string) (Account, error) {
	a := Account{Name: name}
	var typ string
	err := t.row(`SELECT type, balance FROM accounts WHERE name = ?`, name).Scan(&typ, &a.Balance)
	a.Type = AccountType(typ)
	return a, one(err, "account "+name)
}

// Post writes a posting and moves its accounts' balances, after checking
// it balances: at least two lines, none zero, debits equal to credits.
func (t *sqlTx) Post(p *Posting) error {
	if err := p.Check(); err != nil {
		return err
	}
	res, err := t.exec(`INSERT INTO postings (at, kind, memo) VALUES (?, ?, ?)`, nanos(p.At), p.Kind, p.Memo)
	if err != nil {
		return fmt.Errorf("posting: %w", err)
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("posting: %w", err)
	}
	for i, l := range p.Lines {
		if _, err := t.exec(`INSERT INTO posting_lines (posting_id, line, account, amount) VALUES (?, ?, ?, ?)`,
			p.ID, i+1, l.Account, l.Amount); err != nil {
			return fmt.Errorf("posting %d line %d (%s): %w", p.ID, i+1, l.Account, err)
		}
		// An asset grows with debits (positive lines), a liability with
		// credits (negative ones).
		res, err := t.exec(`UPDATE accounts SET balance = balance + CASE type WHEN 'asset' THEN ? ELSE ? END WHERE name = ?`,
			l.Amount, -l.Amount, l.Account)
		if err != nil {
			return fmt.Errorf("posting %d: account %s: %w", p.ID, l.Account, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("posting %d: account %s: %w", p.ID, l.Account, ErrNotFound)
		}
	}
	return nil
}

func (t *sqlTx) Accounts(names []string) ([]Account, error) {
	if len(names) == 0 {
		return nil, nil
	}
	list, err := jsonList(names)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	rows, err := t.query(`SELECT name, type, balance FROM accounts WHERE name IN (SELECT value FROM json_each(?))`, list)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		var a Account
		var typ string
		if err := rows.Scan(&a.Name, &typ, &a.Balance); err != nil {
			return nil, fmt.Errorf("accounts: %w", err)
		}
		a.Type = AccountType(typ)
		out = append(out, a)
	}
	return out, rows.Err()
}

// EnsureAccounts does EnsureAccount for each of as, by name and type.
func (t *sqlTx) EnsureAccounts(as []Account) error {
	args := make([]any, 0, len(as)*2)
	for _, a := range as {
		args = append(args, a.Name, string(a.Type))
	}
	if _, err := t.execRows(`INSERT INTO accounts (name, type) VALUES `, ` ON CONFLICT (name) DO NOTHING`, 2, args); err != nil {
		return fmt.Errorf("%d accounts: %w", len(as), err)
	}
	return nil
}

// LastPostingID is the highest posting ID, 0 when there is none.
func (t *sqlTx) LastPostingID() (int64, error) {
	var id int64
	if err := t.row(`SELECT coalesce(max(id), 0) FROM postings`).Scan(&id); err != nil {
		return 0, fmt.Errorf("postings: %w", err)
	}
	return id, nil
}

// PostAll writes postings with the IDs they carry and moves each
// account's balance once by the sum of its lines, after checking every
// posting as Post does: nothing is written when one does not balance.
func (t *sqlTx) PostAll(ps []Posting) error {
	if len(ps) == 0 {
		return nil
	}
	order, moves, err := PostingMoves(ps)
	if err != nil {
		return err
	}
	postings, lines := make([]any, 0, 4*len(ps)), make([]any, 0, 8*len(ps))
	for i := range ps {
		p := &ps[i]
		postings = append(postings, p.ID, nanos(p.At), p.Kind, p.Memo)
		for j, l := range p.Lines {
			lines = append(lines, p.ID, int64(j+1), l.Account, l.Amount)
		}
	}
	balances := make([]any, 0, len(order)*2)
	for i, name := range order {
		balances = append(balances, name, moves[i])
	}
	what := fmt.Sprintf("%d postings from %d", len(ps), ps[0].ID)
	if _, err := t.execRows(`INSERT INTO postings (id, at, kind, memo) VALUES `, "", 4, postings); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if _, err := t.execRows(`INSERT INTO posting_lines (posting_id, line, account, amount) VALUES `, "", 4, lines); err != nil {
		return fmt.Errorf("%s: lines: %w", what, err)
	}
	// An asset grows with debits (positive lines), a liability with
	// credits (negative ones).
	n, err := t.execRows(`WITH v (name, amount) AS (VALUES `, `) UPDATE accounts
		SET balance = balance + CASE type WHEN 'asset' THEN v.amount ELSE -v.amount END
		FROM v WHERE accounts.name = v.name`, 2, balances)
	if err != nil {
		return fmt.Errorf("%s: balances: %w", what, err)
	}
	if n != int64(len(order)) {
		return fmt.Errorf("%s: %d accounts, %d found: %w", what, len(order), n, ErrNotFound)
	}
	return nil
}

// LedgerCheck reads back everything Ledger.Balanced judges, from the lines
// themselves rather than from what Post believed it wrote.
func (t *sqlTx) LedgerCheck() (LedgerState, error) {
	var s LedgerState
	if err := t.row(`SELECT count(*) FROM postings`).Scan(&s.Postings); err != nil {
		return s, fmt.Errorf("ledger: %w", err)
	}
	if err := t.row(`SELECT count(*), coalesce(sum(amount), 0) FROM posting_lines`).Scan(&s.Lines, &s.Sum); err != nil {
		return s, fmt.Errorf("ledger: %w", err)
	}
	ids := func(q string) ([]int64, error) {
		rows, err := t.query(q)
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		defer rows.Close()
		var out []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, fmt.Errorf("ledger: %w", err)
			}
			out = append(out, id)
		}
		return out, rows.Err()
	}
	var err error
	if s.Unbalanced, err = ids(`SELECT posting_id FROM posting_lines GROUP BY posting_id HAVING sum(amount) <> 0`); err != nil {
		return s, err
	}
	if s.Short, err = ids(`SELECT p.id FROM postings p LEFT JOIN posting_lines l ON l.posting_id = p.id
		GROUP BY p.id HAVING count(l.line) < 2`); err != nil {
		return s, err
	}
	names := func(q string) ([]string, error) {
		rows, err := t.query(q)
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return nil, fmt.Errorf("ledger: %w", err)
			}
			out = append(out, n)
		}
		return out, rows.Err()
	}
	if s.DriftAccounts, err = names(`SELECT a.name FROM accounts a LEFT JOIN (
			SELECT account, sum(amount) AS s FROM posting_lines GROUP BY account) l ON l.account = a.name
		WHERE a.balance <> CASE a.type WHEN 'asset' THEN coalesce(l.s, 0) ELSE -coalesce(l.s, 0) END`); err != nil {
		return s, err
	}
	if s.DriftWallets, err = names(`SELECT w.pan || '/' || w.psn FROM wallets w
		LEFT JOIN accounts a ON a.name = 'ecash:' || w.pan || '/' || w.psn
		WHERE a.name IS NULL OR a.balance <> w.known_balance`); err != nil {
		return s, err
	}
	return s, nil
}
