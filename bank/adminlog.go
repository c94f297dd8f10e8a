package bank

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"text/tabwriter"
	"time"
)

// AdminEntry is one line of the admin log: who ran which administrative
// command that changed the bank, on what, and when.
type AdminEntry struct {
	ID      int64     `json:"id"`
	At      time.Time `json:"at"`
	By      string    `json:"by"`      // the person: --by, or the OS user who ran it
	Command string    `json:"command"` // e.g. "customer add"
	Target  string    `json:"target"`  // the customer, merchant, terminal or PAN
	Detail  string    `json:"detail,omitempty"`
}

// adminStore is the store of a bank opened for an administrative command.
// The first write transaction that commits also appends the command's
// line to the admin log, in the same transaction: no change without its
// line, and no line for a command that changed nothing.
type adminStore struct {
	Store
	entry AdminEntry
	now   func() time.Time

	mu     sync.Mutex
	logged bool
}

func (s *adminStore) Write(ctx context.Context, fn func(Tx) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.logged {
		return s.Store.Write(ctx, fn)
	}
	err := s.Store.Write(ctx, func(tx Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		e := s.entry
		e.At = s.now()
		return tx.AddAdminEntry(&e)
	})
	if err == nil {
		s.logged = true
	}
	return err
}

// AdminLog is the admin log, the newest first; limit <= 0 lists it all.
func (b *Bank) AdminLog(ctx context.Context, limit int) ([]AdminEntry, error) {
	var out []AdminEntry
	err := b.store.Read(ctx, func(tx Tx) error {
		var err error
		out, err = tx.AdminLog(limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bank: %w", err)
	}
	return out, nil
}

// WriteAdminLog writes the admin log as text (a table) or json (an array).
func WriteAdminLog(w io.Writer, log []AdminEntry, format string) error {
	switch format {
	case "json":
		if log == nil {
			log = []AdminEntry{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(log)
	case "text":
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "When (UTC)\tBy\tCommand\tTarget\tDetail")
		for _, e := range log {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.UTC().Format(time.DateTime), e.By, e.Command, e.Target, e.Detail)
		}
		return tw.Flush()
	}
	return fmt.Errorf("bank: admin log format %q: want text or json", format)
}
