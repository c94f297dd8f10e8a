package desk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"lingqian/app"
	desksync "lingqian/sync"
)

// Enrolled says whether the desk has a bank to forward to.
func (d *Desk) Enrolled(ctx context.Context) bool {
	v, _ := d.DB.Setting(ctx, SettingBankCert)
	return v != ""
}

// BankClient is the desk's client of the bank it enrolled with; retries
// as desksync.Config.Retries.
func (d *Desk) BankClient(retries int) (*desksync.Client, error) {
	ctx := context.Background()
	get := func(key string) string {
		v, _ := d.DB.Setting(ctx, key)
		return v
	}
	url, ca, cert := get(SettingBankURL), get(SettingBankCA), get(SettingBankCert)
	if url == "" || ca == "" || cert == "" {
		return nil, fmt.Errorf("the desk in %s is not enrolled with a bank: run `lingqian enroll --data %s --bank URL --ca CA.pem --code CODE`", d.Dir, d.Dir)
	}
	key, err := os.ReadFile(filepath.Join(d.Dir, BankKeyFile))
	if err != nil {
		return nil, fmt.Errorf("the desk's key for the bank (enrol again if it is lost): %w", err)
	}
	cfg, err := desksync.DeskTLS([]byte(ca), []byte(cert), key)
	if err != nil {
		return nil, err
	}
	return desksync.NewClient(desksync.Config{BaseURL: url, TLS: cfg, Retries: retries})
}

// Reconciler asks the bank, through client, how this desk's messages stand.
func (d *Desk) Reconciler(client *desksync.Client) app.Reconciler {
	return reconciler{client: client, journal: d.DB}
}

type reconciler struct {
	client  *desksync.Client
	journal desksync.Journal
}

func (r reconciler) Reconcile(ctx context.Context, sinceSeq int64) (app.Reconciliation, error) {
	rep, err := r.client.Reconcile(ctx, r.journal, sinceSeq)
	if err != nil {
		return app.Reconciliation{}, err
	}
	side := func(t desksync.Totals) app.Side {
		return app.Side{Posted: t.Posted, Pending: t.Pending, Rejected: t.Rejected}
	}
	out := app.Reconciliation{SinceSeq: rep.SinceSeq, At: time.Now(), Desk: side(rep.Desk), Bank: side(rep.Bank)}
	for _, d := range rep.Differences {
		out.Differences = append(out.Differences, app.Difference{Seq: d.Seq, Kind: d.Kind, Reason: d.Reason,
			DeskAmount: app.Money(d.DeskAmount), BankAmount: app.Money(d.BankAmount), DeskState: d.DeskState, BankState: d.BankState})
	}
	return out, nil
}

// Unavailable says whether err means the bank could not be reached.
func Unavailable(err error) bool { return desksync.Unavailable(err) }
