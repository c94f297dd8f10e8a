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
	if err := p.check(); err != nil {
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
