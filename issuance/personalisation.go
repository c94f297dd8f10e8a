package issuance

import (
	"fmt"

	"lingqian/emv/issuer"
	"lingqian/emv/tlv"
)

// Record is one record of the card, as READ RECORD answers it.
type Record struct {
	SFI    int  `json:"sfi"`
	Number int  `json:"record"`
	Signed bool `json:"signed,omitempty"`
	Data   Hex  `json:"data"` // template 70
}

// Personalisation is everything a wallet needs to be the card: its answers
// to SELECT, its records, its data objects and its symmetric keys. The
// wallet adds its own ICC private key. It is a secret (it holds keys) and
// travels only over TLS or stays on the machine.
type Personalisation struct {
	AID            Hex      `json:"aid"`
	PAN            string   `json:"pan"`
	PSN            string   `json:"psn"`
	Currency       string   `json:"currency"`
	Balance        int64    `json:"balance"`
	SingleLimit    int64    `json:"single_limit"`
	ResetThreshold int64    `json:"reset_threshold"`
	Effective      string   `json:"effective"` // YYYY-MM-DD
	Expiry         string   `json:"expiry"`    // YYYY-MM-DD
	AIP            Hex      `json:"aip"`
	AFL            Hex      `json:"afl"`
	PDOL           Hex      `json:"pdol"`
	CDOL1          Hex      `json:"cdol1"`
	CDOL2          Hex      `json:"cdol2"`
	LogFormat      Hex      `json:"log_format"`
	PPSE           Hex      `json:"ppse"` // the answer to SELECT 2PAY.SYS.DDF01
	FCI            Hex      `json:"fci"`  // the answer to SELECT AID
	Records        []Record `json:"records"`
	// StaticData is the static data to be authenticated the ICC
	// certificate covers, as a desk rebuilds it.
	StaticData Hex `json:"static_data"`
	ICCModulus Hex `json:"icc_modulus"` // the key certified
	MKAC       Hex `json:"mk_ac"`       // ICC master key for cryptograms
	MKSMI      Hex `json:"mk_smi"`      // ICC master key for script MACs
}

// Validate checks that the personalisation is one a wallet can be: every
// field present and well formed, the records template 70, the CDOL1 asking
// for what the wallet needs. A wallet file that was damaged or edited by
// hand fails here with a clear error rather than later at a desk.
func (p *Personalisation) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("issuance: personalisation: "+format, a...)
	}
	switch {
	case len(p.AID) < 5 || len(p.AID) > 16:
		return bad("AID of %d bytes", len(p.AID))
	case CheckPAN(p.PAN) != nil:
		return bad("%w", CheckPAN(p.PAN))
	case len(p.PSN) != 2 || !allDigits(p.PSN):
		return bad("PSN %q", p.PSN)
	case len(p.AIP) != 2:
		return bad("AIP of %d bytes", len(p.AIP))
	case len(p.AFL) == 0 || len(p.AFL)%4 != 0:
		return bad("AFL of %d bytes", len(p.AFL))
	case len(p.MKAC) != issuer.KeyLen || len(p.MKSMI) != issuer.KeyLen:
		return bad("an ICC master key is not %d bytes", issuer.KeyLen)
	case p.Balance < 0 || p.Balance > MaxAmount || p.SingleLimit < 0 || p.SingleLimit > MaxAmount:
		return bad("balance %d or limit %d out of range", p.Balance, p.SingleLimit)
	case len(p.PPSE) == 0 || len(p.FCI) == 0:
		return bad("no answer to SELECT")
	}
	if _, err := CurrencyCode(p.Currency); err != nil {
		return bad("%w", err)
	}
	if _, err := ParseDOL(p.PDOL); err != nil {
		return bad("PDOL: %w", err)
	}
	if _, err := ParseDOL(p.CDOL2); err != nil {
		return bad("CDOL2: %w", err)
	}
	if _, err := ParseDOL(p.LogFormat); err != nil {
		return bad("log format: %w", err)
	}
	cdol1, err := ParseDOL(p.CDOL1)
	if err != nil {
		return bad("CDOL1: %w", err)
	}
	if !cdol1.Has(0x9F02, 6) || !cdol1.Has(0x5F2A, 2) || !cdol1.Has(0x9F37, 4) {
		return bad("CDOL1 does not ask for 9F02 06, 5F2A 02 and 9F37 04")
	}
	seen := map[[2]int]bool{}
	for _, r := range p.Records {
		if r.SFI < 1 || r.SFI > 30 || r.SFI == LogSFI || r.Number < 1 || r.Number > 254 || seen[[2]int{r.SFI, r.Number}] {
			return bad("record %d of SFI %d cannot be", r.Number, r.SFI)
		}
		seen[[2]int{r.SFI, r.Number}] = true
		objs, err := tlv.Parse(r.Data)
		if err != nil {
			return bad("record %d of SFI %d: %w", r.Number, r.SFI, err)
		}
		if len(objs) != 1 || objs[0].Tag != 0x70 {
			return bad("record %d of SFI %d is not template 70", r.Number, r.SFI)
		}
	}
	return nil
}
