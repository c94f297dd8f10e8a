package pgstore

import (
	"fmt"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
)

// The double-entry ledger: accounts with running balances, postings and
// their lines. A posting is written with its lines and balances in one
// statement, so a posting costs one round trip to the server.

func (t *pgTx) EnsureAccount(name string, typ bank.AccountType) error {
	if _, err := t.exec(`INSERT INTO accounts (name, type) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, string(typ)); err != nil {
		return fmt.Errorf("account %s: %w", name, err)
	}
	return nil
}

func scanAccount(r pgx.Row) (bank.Account, error) {
	var a bank.Account
	var typ string
	err := r.Scan(&a.Name, &typ, &a.Balance)
	a.Type = bank.AccountType(typ)
	return a, err
}

func (t *pgTx) Account(name string) (bank.Account, error) {
	a, err := scanAccount(t.row(`SELECT name, type, balance FROM accounts WHERE name = $1`, name))
	return a, one(err, "account "+name)
}

func (t *pgTx) Accounts(names []string) ([]bank.Account, error) {
	if len(names) == 0 {
		return nil, nil
	}
	return list(t, "accounts", scanAccount, `SELECT name, type, balance FROM accounts WHERE name = ANY($1::text[])`, names)
}

// EnsureAccounts does EnsureAccount for each of as, by name and type.
func (t *pgTx) EnsureAccounts(as []bank.Account) error {
	if len(as) == 0 {
		return nil
	}
	names, types := make([]string, len(as)), make([]string, len(as))
	for i, a := range as {
		names[i], types[i] = a.Name, string(a.Type)
	}
	if _, err := t.exec(`INSERT INTO accounts (name, type) SELECT * FROM unnest($1::text[], $2::text[])
		ON CONFLICT (name) DO NOTHING`, names, types); err != nil {
		return fmt.Errorf("%d accounts: %w", len(as), err)
	}
	return nil
}

// LastPostingID is the highest posting ID, 0 when there is none.
func (t *pgTx) LastPostingID() (int64, error) {
	var id int64
	if err := t.row(`SELECT coalesce(max(id), 0) FROM postings`).Scan(&id); err != nil {
		return 0, fmt.Errorf("postings: %w", err)
	}
	return id, nil
}

// moveBalances is the part of a posting statement that moves each
// account named in moves (account, amount) once by the sum of its lines:
// an asset grows with debits (positive lines), a liability with credits.
const moveBalances = `moved AS (
		UPDATE accounts SET balance = balance + CASE type WHEN 'asset' THEN moves.amount ELSE -moves.amount END
		FROM moves WHERE accounts.name = moves.account
		RETURNING 1)`

// Post writes a posting, its lines and its accounts' balances, giving it
// the highest posting ID plus one (as PostAll's callers expect), after
// checking it balances.
func (t *pgTx) Post(p *bank.Posting) error {
	if err := p.Check(); err != nil {
		return err
	}
	accounts, amounts := lineArrays(p.Lines)
	var accountsMoved, accountsNamed int
	err := t.row(`WITH lines AS (
			SELECT account, amount, line::int AS line
			FROM unnest($4::text[], $5::bigint[]) WITH ORDINALITY AS l (account, amount, line)
		), posting AS (
			INSERT INTO postings (id, at, kind, memo)
			SELECT coalesce(max(id), 0) + 1, $1::bigint, $2::text, $3::text FROM postings
			RETURNING id
		), written AS (
			INSERT INTO posting_lines (posting_id, line, account, amount)
			SELECT posting.id, lines.line, lines.account, lines.amount FROM posting, lines
		), moves AS (
			SELECT account, sum(amount)::bigint AS amount FROM lines GROUP BY account
		), `+moveBalances+`
		SELECT (SELECT id FROM posting), (SELECT count(*) FROM moved), (SELECT count(*) FROM moves)`,
		nanos(p.At), p.Kind, p.Memo, accounts, amounts).Scan(&p.ID, &accountsMoved, &accountsNamed)
	if err != nil {
		return postingError(err, "posting")
	}
	if accountsMoved != accountsNamed {
		return fmt.Errorf("posting %d: %d accounts, %d found: %w", p.ID, accountsNamed, accountsMoved, bank.ErrNotFound)
	}
	return nil
}

func lineArrays(lines []bank.Line) (accounts []string, amounts []int64) {
	accounts, amounts = make([]string, len(lines)), make([]int64, len(lines))
	for i, l := range lines {
		accounts[i], amounts[i] = l.Account, l.Amount
	}
	return accounts, amounts
}

// postingError words a failed posting statement: a line naming an
// account that is not there breaks its foreign key, which is
// bank.ErrNotFound; an ID taken is bank.ErrExists.
func postingError(err error, what string) error {
	switch sqlState(err) {
	case codeForeignKey:
		return fmt.Errorf("%s: an account: %w (%w)", what, bank.ErrNotFound, err)
	case codeUnique:
		return fmt.Errorf("%s: %w (%w)", what, bank.ErrExists, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// PostAll writes postings with the IDs they carry, their lines, and moves
// each account's balance once by the sum of its lines, in one statement,
// after checking every posting as Post does: nothing is written when one
// does not balance.
func (t *pgTx) PostAll(ps []bank.Posting) error {
	if len(ps) == 0 {
		return nil
	}
	order, moveAmounts, err := bank.PostingMoves(ps)
	if err != nil {
		return err
	}
	ids, ats, kinds, memos := make([]int64, len(ps)), make([]int64, len(ps)), make([]string, len(ps)), make([]string, len(ps))
	var lineIDs, amounts []int64
	var lineNos []int32
	var accounts []string
	for i := range ps {
		p := &ps[i]
		ids[i], ats[i], kinds[i], memos[i] = p.ID, nanos(p.At), p.Kind, p.Memo
		for j, l := range p.Lines {
			lineIDs, lineNos = append(lineIDs, p.ID), append(lineNos, int32(j+1))
			accounts, amounts = append(accounts, l.Account), append(amounts, l.Amount)
		}
	}
	what := fmt.Sprintf("%d postings from %d", len(ps), ps[0].ID)
	var moved int
	err = t.row(`WITH posting AS (
			INSERT INTO postings (id, at, kind, memo) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[])
		), written AS (
			INSERT INTO posting_lines (posting_id, line, account, amount)
			SELECT * FROM unnest($5::bigint[], $6::int[], $7::text[], $8::bigint[])
		), moves AS (
			SELECT * FROM unnest($9::text[], $10::bigint[]) AS m (account, amount)
		), `+moveBalances+`
		SELECT count(*) FROM moved`,
		ids, ats, kinds, memos, lineIDs, lineNos, accounts, amounts, order, moveAmounts).Scan(&moved)
	if err != nil {
		return postingError(err, what)
	}
	if moved != len(order) {
		return fmt.Errorf("%s: %d accounts, %d found: %w", what, len(order), moved, bank.ErrNotFound)
	}
	return nil
}

// LedgerCheck reads back everything Ledger.Balanced judges, from the lines
// themselves rather than from what Post believed it wrote.
func (t *pgTx) LedgerCheck() (bank.LedgerState, error) {
	var s bank.LedgerState
	if err := t.row(`SELECT (SELECT count(*) FROM postings), count(*), coalesce(sum(amount), 0)::bigint FROM posting_lines`).
		Scan(&s.Postings, &s.Lines, &s.Sum); err != nil {
		return s, fmt.Errorf("ledger: %w", err)
	}
	id := func(r pgx.Row) (int64, error) {
		var v int64
		return v, r.Scan(&v)
	}
	name := func(r pgx.Row) (string, error) {
		var v string
		return v, r.Scan(&v)
	}
	var err error
	if s.Unbalanced, err = list(t, "ledger", id, `SELECT posting_id FROM posting_lines GROUP BY posting_id
		HAVING sum(amount) <> 0 ORDER BY posting_id`); err != nil {
		return s, err
	}
	if s.Short, err = list(t, "ledger", id, `SELECT p.id FROM postings p LEFT JOIN posting_lines l ON l.posting_id = p.id
		GROUP BY p.id HAVING count(l.line) < 2 ORDER BY p.id`); err != nil {
		return s, err
	}
	if s.DriftAccounts, err = list(t, "ledger", name, `SELECT a.name FROM accounts a LEFT JOIN (
			SELECT account, sum(amount) AS s FROM posting_lines GROUP BY account) l ON l.account = a.name
		WHERE a.balance <> CASE a.type WHEN 'asset' THEN coalesce(l.s, 0) ELSE -coalesce(l.s, 0) END
		ORDER BY a.name`); err != nil {
		return s, err
	}
	if s.DriftWallets, err = list(t, "ledger", name, `SELECT w.pan || '/' || w.psn FROM wallets w
		LEFT JOIN accounts a ON a.name = 'ecash:' || w.pan || '/' || w.psn
		WHERE a.name IS NULL OR a.balance <> w.known_balance
		ORDER BY 1`); err != nil {
		return s, err
	}
	return s, nil
}
