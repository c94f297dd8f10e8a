package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"lingqian/app"
)

// VerifyChains checks the journal's and the audit log's chains and gives
// their heads, for the forwarder to name to the bank: a head that has not
// been verified could be the end of a chain rewritten with fresh hashes,
// and anchoring it at the bank would vouch for the rewrite.
//
// known are links verified before (by an earlier call of the same
// process, whose memory is the only place they are kept: a file could be
// edited too). Each must still hold: its row recomputes, from its own
// previous-hash link and contents, to the hash it was verified with, and
// stores that hash. Each chain is then walked from its highest known link
// to its end (from the start when none is known), and the ends, Z report
// seals, settings and operators are checked as VerifyAll does. A
// rewrite below a known link that leaves it as it was is not seen here;
// a call without known links, as at a desk's start, sees everything.
//
// Everything is read in one snapshot. A fault is a finding (nil heads);
// an error means the check could not run.
func (db *DB) VerifyChains(ctx context.Context, known []app.ChainHead) ([]app.ChainHead, *app.ChainFault, error) {
	var heads []app.ChainHead
	var fault *app.ChainFault
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		heads, fault, err = verifyChains(ctx, tx, known)
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("store: verify the chains: %w", err)
	}
	return heads, fault, nil
}

func verifyChains(ctx context.Context, tx *sql.Tx, known []app.ChainHead) ([]app.ChainHead, *app.ChainFault, error) {
	from := map[string]app.ChainHead{}
	links := slices.Clone(known)
	// Journal first, then the audit log, each oldest first: the first
	// fault reported is the earliest.
	slices.SortFunc(links, func(a, b app.ChainHead) int {
		if a.Name != b.Name {
			return chainOrder(a.Name) - chainOrder(b.Name)
		}
		return int(min(max(a.Seq-b.Seq, -1), 1))
	})
	for _, k := range links {
		if chainOrder(k.Name) < 0 {
			return nil, nil, fmt.Errorf("chain %q: %w", k.Name, app.ErrNotFound)
		}
		if k.Seq <= 0 {
			continue // an empty chain: nothing to hold
		}
		f, err := recheck(ctx, tx, k)
		if err != nil || f != nil {
			return nil, f, err
		}
		from[k.Name] = k // sorted: the highest comes last
	}

	j := from[app.ChainJournal]
	brk, last, hash, err := walkChain(ctx, tx, j.Seq, startHash(j))
	if err != nil {
		return nil, nil, fmt.Errorf("journal: %w", err)
	}
	if brk == nil {
		if brk, err = checkTail(ctx, tx, last); err != nil {
			return nil, nil, fmt.Errorf("journal: %w", err)
		}
	}
	if brk != nil {
		return nil, &app.ChainFault{Chain: app.ChainJournal, Seq: brk.Seq, Reason: brk.Reason}, nil
	}
	heads := []app.ChainHead{headAt(app.ChainJournal, last, hash)}

	a := from[app.ChainAudit]
	abrk, alast, ahash, err := walkAudit(ctx, tx, a.Seq, startHash(a))
	if err != nil {
		return nil, nil, fmt.Errorf("audit log: %w", err)
	}
	if abrk == nil {
		if abrk, err = checkSubjects(ctx, tx); err != nil {
			return nil, nil, fmt.Errorf("audit log: %w", err)
		}
	}
	if abrk != nil {
		return nil, &app.ChainFault{Chain: app.ChainAudit, Seq: abrk.Row, Reason: abrk.Reason}, nil
	}
	return append(heads, headAt(app.ChainAudit, alast, ahash)), nil, nil
}

// chainOrder is the order chains are checked and given in, as ChainHeads
// gives them; -1 for a chain the desk does not have.
func chainOrder(name string) int {
	switch name {
	case app.ChainJournal:
		return 0
	case app.ChainAudit:
		return 1
	}
	return -1
}

// startHash is the hash a walk from link k starts from.
func startHash(k app.ChainHead) []byte {
	if k.Seq == 0 {
		return zeroHash
	}
	return k.Hash
}

// headAt is a chain's head as ChainHeads gives it: no hash when empty.
func headAt(name string, seq int64, hash []byte) app.ChainHead {
	h := app.ChainHead{Name: name, Seq: seq}
	if seq > 0 {
		h.Hash = bytes.Clone(hash)
	}
	return h
}

// recheck says whether the row of a link verified before still holds the
// hash it was verified with. Recomputing the row from its own stored
// previous-hash link, not only reading its hash, is what catches a chain
// rewritten below it with fresh hashes and this one hash put back.
func recheck(ctx context.Context, tx *sql.Tx, k app.ChainHead) (*app.ChainFault, error) {
	fault := func(what string) *app.ChainFault {
		return &app.ChainFault{Chain: k.Name, Seq: k.Seq, Reason: what}
	}
	changed := "it no longer holds the hash it was verified with: it, or the chain before it, was rewritten"
	switch k.Name {
	case app.ChainJournal:
		raw := newRawEntry()
		rows, err := scanOne(ctx, tx, "SELECT "+entryCols+" FROM journal WHERE seq = ?", k.Seq, raw.dest[:])
		if rows != nil {
			defer rows.Close() // raw's buffers live until then
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fault(fmt.Sprintf("entry %d, verified before, is gone", k.Seq)), nil
		case damaged(err):
			return fault("the file is damaged here: " + err.Error()), nil
		case err != nil:
			return nil, fmt.Errorf("journal entry %d: %w", k.Seq, err)
		}
		var e app.Entry
		if err := raw.decodeInto(&e, false); err != nil {
			return fault("the row cannot be read: " + err.Error()), nil
		}
		if sum, _ := chainHash(nil, nil, e.PrevHash, &e); !bytes.Equal(sum, k.Hash) || !bytes.Equal(e.Hash, k.Hash) {
			return fault(changed), nil
		}
	case app.ChainAudit:
		raw := newRawAudit()
		rows, err := scanOne(ctx, tx, "SELECT "+auditCols+" FROM audit WHERE id = ?", k.Seq, raw.dest[:])
		if rows != nil {
			defer rows.Close()
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return fault(fmt.Sprintf("audit row %d, verified before, is gone", k.Seq)), nil
		case damaged(err):
			return fault("the file is damaged here: " + err.Error()), nil
		case err != nil:
			return nil, fmt.Errorf("audit row %d: %w", k.Seq, err)
		}
		var r auditRow
		if err := raw.decode(&r); err != nil {
			return fault("the row cannot be read: " + err.Error()), nil
		}
		if sum, _ := auditHash(nil, nil, r.PrevHash, &r); !bytes.Equal(sum, k.Hash) || !bytes.Equal(r.Hash, k.Hash) {
			return fault(changed), nil
		}
	}
	return nil, nil
}

// scanOne scans the one row of q into dest, which may hold RawBytes (which
// QueryRow refuses): valid until the rows it gives are closed.
// sql.ErrNoRows when there is none.
func scanOne(ctx context.Context, tx *sql.Tx, q string, arg any, dest []any) (*sql.Rows, error) {
	rows, err := tx.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, err
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return rows, err
		}
		return rows, sql.ErrNoRows
	}
	return rows, rows.Scan(dest...)
}
