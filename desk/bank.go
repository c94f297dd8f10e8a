package desk

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

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
