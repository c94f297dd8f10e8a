package desk

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"lingqian/app"
	"lingqian/report"
)

// Documents renders the desk's reports and lists with package report.
type Documents struct{ Shop report.Shop }

// Documents are this desk's, with its name and ids on every page.
func (d *Desk) Documents() Documents {
	return Documents{Shop: report.Shop{Name: d.Name, MerchantID: d.Merchant, TerminalID: d.Terminal}}
}

func (x Documents) ReportCSV(w io.Writer, r app.Report, lang string) error {
	return report.CSV(w, r, lang)
}
func (x Documents) ReportPDF(w io.Writer, r app.Report, lang string) error {
	return report.PDF(w, r, x.Shop, lang)
}
func (x Documents) SalesCSV(w io.Writer, rows []app.SaleRow, f app.SaleFilter, lang string) error {
	return report.ForwardingCSV(w, rows, f, lang)
}
func (x Documents) SalesPDF(w io.Writer, rows []app.SaleRow, f app.SaleFilter, lang string) error {
	return report.ForwardingPDF(w, rows, f, x.Shop, lang)
}

// ExportFolder is where the window puts what it exports.
type ExportFolder struct{ Dir string }

// ExportDir is the desk's export folder, inside its data folder.
func (d *Desk) ExportDir() string { return filepath.Join(d.Dir, "exports") }

// Save writes the file beside its final name and renames it once whole,
// so a half-written export never stands under the name.
func (f ExportFolder) Save(name string, write func(io.Writer) error) (string, error) {
	if err := os.MkdirAll(f.Dir, 0o700); err != nil {
		return "", fmt.Errorf("export folder %s: %w", f.Dir, err)
	}
	path := filepath.Join(f.Dir, name)
	tmp, err := os.CreateTemp(f.Dir, "."+name+".*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp.Name(), path)
}
