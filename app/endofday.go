package app

import (
	"context"
	"time"
)

// ReportStore makes the desk's reports from its journal.
type ReportStore interface {
	XReport(ctx context.Context, terminal, merchant string, at time.Time) (Report, error)
	CloseDay(ctx context.Context, operator, terminal, merchant string, at time.Time) (Report, error)
	ZReport(ctx context.Context, number int64) (Report, error)
	ZReports(ctx context.Context, limit int) ([]ZSummary, error)
}

// ZSummary names a closed day in the list of Z reports.
type ZSummary struct {
	Number            int64
	Made              time.Time
	FirstSeq, LastSeq int64
	Operator          string // the supervisor who closed the day
}

// EndOfDay is the X report at any time and the Z report that closes the day.
type EndOfDay struct {
	Store    ReportStore
	Terminal string
	Merchant string
	Now      func() time.Time
}

func (e *EndOfDay) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// X is the day so far.
func (e *EndOfDay) X(ctx context.Context) (Report, error) {
	return e.Store.XReport(ctx, e.Terminal, e.Merchant, e.now())
}

// Close closes the day: a numbered Z report, sealed; a supervisor's act.
func (e *EndOfDay) Close(ctx context.Context, by Operator) (Report, error) {
	if !by.Role.Can(RoleSupervisor) {
		return Report{}, ErrRole
	}
	return e.Store.CloseDay(ctx, by.ID, e.Terminal, e.Merchant, e.now())
}

// Z reprints Z report number n.
func (e *EndOfDay) Z(ctx context.Context, n int64) (Report, error) { return e.Store.ZReport(ctx, n) }

// Closed lists the Z reports closed so far, newest first.
func (e *EndOfDay) Closed(ctx context.Context, limit int) ([]ZSummary, error) {
	return e.Store.ZReports(ctx, limit)
}
