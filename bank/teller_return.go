package bank

import (
	"net/http"
)

// A load the bank approved whose script never reached the phone is money
// that left the deposit and is not on the phone. The teller's desk gives
// it back with an unload that names the load (returns_load_atc); the
// unload's row then carries the load's ATC, which is how the bank knows
// the load was returned: the balance chain skips it (checkChain), so the
// phone's next purchases, built on the balance before the load, chain.

// onlineLoadAt is the wallet's online load under the ARQC of atc, or nil.
func onlineLoadAt(tx Tx, wal Wallet, atc uint16) (*Load, error) {
	loads, err := tx.Loads(wal.PAN, wal.PSN)
	if err != nil {
		return nil, err
	}
	for i := range loads {
		if loads[i].Kind == LoadOnline && loads[i].ATC == atc {
			return &loads[i], nil
		}
	}
	return nil, nil
}

// returnable checks that an unload of amount may return the online load at
// atc: there is one, of that amount, not returned yet.
func returnable(tx Tx, wal Wallet, atc uint16, amount int64) error {
	loads, err := tx.Loads(wal.PAN, wal.PSN)
	if err != nil {
		return err
	}
	var load *Load
	for i := range loads {
		if loads[i].Kind == LoadOnline && loads[i].ATC == atc {
			load = &loads[i]
		}
	}
	switch {
	case load == nil:
		return apiErr(http.StatusConflict, CodeConflict, "the wallet has no online load at ATC %d to return", atc)
	case load.Amount != amount:
		return apiErr(http.StatusConflict, CodeConflict, "the load at ATC %d was %s, the unload returning it is %s",
			atc, formatFen(load.Amount), formatFen(amount))
	case returnedLoads(loads)[atc]:
		return apiErr(http.StatusConflict, CodeAnswered, "the load at ATC %d was returned to the deposit already", atc)
	}
	return nil
}

// returnedLoads are the ATCs of the wallet's online loads an unload gave
// back to the deposit.
func returnedLoads(loads []Load) map[uint16]bool {
	out := map[uint16]bool{}
	for _, l := range loads {
		if l.Kind == LoadUnload && l.ATC != 0 {
			out[l.ATC] = true
		}
	}
	return out
}
