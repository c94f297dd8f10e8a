package emv

import (
	"context"
	"errors"
)

// ReadWallet selects the wallet and reads its PAN, PSN, balance and ATC.
func (k *Kernel) ReadWallet(ctx context.Context, card Card) (WalletReading, error) {
	return WalletReading{}, errors.New("emv: ReadWallet: not yet")
}

// StartLoad reads the wallet and asks it for an ARQC for the load.
func (k *Kernel) StartLoad(ctx context.Context, card Card, l Load) (LoadStart, error) {
	return LoadStart{}, errors.New("emv: StartLoad: not yet")
}

// FinishLoad gives the phone the bank's answer and closes the load.
func (k *Kernel) FinishLoad(ctx context.Context, card Card, start LoadStart, ans IssuerAnswer) (LoadFinish, error) {
	return LoadFinish{}, errors.New("emv: FinishLoad: not yet")
}
