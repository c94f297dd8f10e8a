package app

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Documents renders what a shop owner files, in a format and a language.
type Documents interface {
	ReportCSV(w io.Writer, r Report, lang string) error
	ReportPDF(w io.Writer, r Report, lang string) error
	SalesCSV(w io.Writer, rows []SaleRow, f SaleFilter, lang string) error
	SalesPDF(w io.Writer, rows []SaleRow, f SaleFilter, lang string) error
}

// Folder keeps exported files: Save writes one whole or not at all and
// answers where it is.
type Folder interface {
	Save(name string, write func(io.Writer) error) (path string, err error)
}

// Export formats.
const (
	FormatCSV = "csv"
	FormatPDF = "pdf"
)

// MaxExportRows bounds a forwarding list export: past it the owner
// filters by day or cashier.
const MaxExportRows = 100_000

// Export writes reports and the forwarding list into the export folder,
// and audits who exported what.
type Export struct {
	Docs   Documents
	Folder Folder
	Sales  *Sales
	Audit  Audit
	Now    func() time.Time
}

func (x *Export) now() time.Time {
	if x.Now != nil {
		return x.Now()
	}
	return time.Now()
}

// Report exports an X or Z report.
func (x *Export) Report(ctx context.Context, r Report, format, lang string, by Operator) (string, error) {
	name := fmt.Sprintf("x-report-%s.%s", x.now().Format("2006-01-02-150405"), format)
	if r.Kind == "Z" {
		name = fmt.Sprintf("z-report-%04d.%s", r.Number, format)
	}
	path, err := x.Folder.Save(name, func(w io.Writer) error {
		switch format {
		case FormatCSV:
			return x.Docs.ReportCSV(w, r, lang)
		case FormatPDF:
			return x.Docs.ReportPDF(w, r, lang)
		}
		return fmt.Errorf("export: format %q: use csv or pdf", format)
	})
	if err != nil {
		return "", fmt.Errorf("export %s: %w", name, err)
	}
	return path, x.record(ctx, by, fmt.Sprintf("%s report %d as %s: %s", r.Kind, r.Number, format, path))
}

// SalesList exports the sales matching f, newest first, and says how many.
func (x *Export) SalesList(ctx context.Context, f SaleFilter, format, lang string, by Operator) (string, int, error) {
	var rows []SaleRow
	before := int64(0)
	for len(rows) < MaxExportRows {
		page, err := x.Sales.Find(ctx, f, before, 1000)
		if err != nil {
			return "", 0, fmt.Errorf("export: forwarding list: %w", err)
		}
		rows = append(rows, page...)
		if len(page) < 1000 {
			break
		}
		before = page[len(page)-1].Entry.Seq
	}
	name := fmt.Sprintf("forwarding-%s.%s", x.now().Format("2006-01-02-150405"), format)
	path, err := x.Folder.Save(name, func(w io.Writer) error {
		switch format {
		case FormatCSV:
			return x.Docs.SalesCSV(w, rows, f, lang)
		case FormatPDF:
			return x.Docs.SalesPDF(w, rows, f, lang)
		}
		return fmt.Errorf("export: format %q: use csv or pdf", format)
	})
	if err != nil {
		return "", 0, fmt.Errorf("export %s: %w", name, err)
	}
	return path, len(rows), x.record(ctx, by, fmt.Sprintf("forwarding list (%d sales) as %s: %s", len(rows), format, path))
}

func (x *Export) record(ctx context.Context, by Operator, detail string) error {
	if x.Audit == nil {
		return nil
	}
	return x.Audit.Record(ctx, AuditEvent{At: x.now(), Operator: by.ID, Action: AuditExport, Detail: detail})
}
