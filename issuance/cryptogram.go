package issuance

import (
	"fmt"

	"lingqian/emv/issuer"
)

// Cryptogram information data (9F27): the cryptogram type in bits 8–7.
const (
	CIDAAC  byte = 0x00
	CIDTC   byte = 0x40
	CIDARQC byte = 0x80
)

// CVR is the card verification results the wallet puts in its issuer
// application data (docs/protocol.md): what it decided and why, so the
// bank can tell a declined purchase from a failed load without guessing.
type CVR [3]byte

// CVR byte 2 bits besides the cryptogram type (bits 8–7, as in 9F27).
const (
	CVR2CDA          byte = 0x08 // a CDA signature was returned
	CVR2IssuerAuthKO byte = 0x04 // EXTERNAL AUTHENTICATE failed in this transaction
	CVR2ScriptDone   byte = 0x02 // an issuer script was applied in this transaction
)

// CVR byte 3: why the wallet answered with an AAC (0 for TC and ARQC).
const (
	DeclineNone            byte = 0x00
	DeclineTerminalAsked   byte = 0x01 // the desk asked for an AAC
	DeclineOverBalance     byte = 0x02 // amount above the e-cash balance
	DeclineOverLimit       byte = 0x03 // amount above the single transaction limit
	DeclineCurrency        byte = 0x04 // not the application's currency
	DeclineNoIssuerAuth    byte = 0x05 // second GENERATE AC without a good EXTERNAL AUTHENTICATE
	DeclineAmountMalformed byte = 0x06 // 9F02 is not BCD
)

// IADLen is the length of the wallet's issuer application data (9F10).
const IADLen = 7

// IAD is the issuer application data 9F10 of docs/protocol.md:
// 07 (length) 01 (derivation key index) 01 (cryptogram version) 03 CVR.
func IAD(cvr CVR) []byte {
	return []byte{0x07, 0x01, 0x01, 0x03, cvr[0], cvr[1], cvr[2]}
}

// ParseIAD reads the CVR back from issuer application data.
func ParseIAD(iad []byte) (CVR, error) {
	if len(iad) != IADLen || iad[0] != 0x07 || iad[1] != 0x01 || iad[2] != 0x01 || iad[3] != 0x03 {
		return CVR{}, fmt.Errorf("issuance: issuer application data %X is not 07 01 01 03 CVR", iad)
	}
	return CVR{iad[4], iad[5], iad[6]}, nil
}

// ACData is what the application cryptogram is computed over: the CDOL
// data of the GENERATE AC (CDOL1, or CDOL2 for the second), the AIP, the
// ATC and the CVR. Wallet and bank both build it here so they cannot drift.
func ACData(dolData, aip []byte, atc uint16, cvr CVR) []byte {
	out := make([]byte, 0, len(dolData)+len(aip)+2+len(cvr))
	out = append(out, dolData...)
	out = append(out, aip...)
	out = append(out, byte(atc>>8), byte(atc))
	return append(out, cvr[:]...)
}

// SessionKey derives the session key for one ATC from an ICC master key
// (MK-AC for cryptograms and ARPC, MK-SMI for script MACs): the EMV common
// session key derivation.
func SessionKey(mk []byte, atc uint16) ([]byte, error) {
	k, err := issuer.DeriveCommonSessionKey(mk, [2]byte{byte(atc >> 8), byte(atc)})
	if err != nil {
		return nil, fmt.Errorf("issuance: session key: %w", err)
	}
	return k, nil
}

// ComputeAC is the application cryptogram over ACData with the AC session
// key of the ATC: ISO 9797-1 MAC algorithm 3, padding method 2.
func ComputeAC(mkAC []byte, atc uint16, data []byte) ([]byte, error) {
	sk, err := SessionKey(mkAC, atc)
	if err != nil {
		return nil, err
	}
	ac, err := issuer.GenerateAC(sk, data, issuer.Padding2)
	if err != nil {
		return nil, fmt.Errorf("issuance: application cryptogram: %w", err)
	}
	return ac, nil
}

// ComputeARPC is ARPC method 1 with the AC session key of the ATC.
func ComputeARPC(mkAC []byte, atc uint16, arqc []byte, arc [2]byte) ([]byte, error) {
	sk, err := SessionKey(mkAC, atc)
	if err != nil {
		return nil, err
	}
	arpc, err := issuer.ARPCMethod1(sk, arqc, arc)
	if err != nil {
		return nil, fmt.Errorf("issuance: ARPC: %w", err)
	}
	return arpc, nil
}

// The issuer script that sets the e-cash balance: PUT DATA 9F79 under
// secure messaging, new balance n12 and a 4-byte MAC.
const (
	ScriptCLA    byte = 0x04
	ScriptINS    byte = 0xDA
	ScriptMACLen      = 4
)

// BalanceScriptMAC is the MAC of PUT DATA 9F79: MAC algorithm 3 with
// padding 2 under the MK-SMI session key of the ATC, over
// 04 DA 9F 79 0A ‖ ATC ‖ ARQC ‖ new balance.
func BalanceScriptMAC(mkSMI []byte, atc uint16, arqc, newBalance []byte) ([]byte, error) {
	sk, err := SessionKey(mkSMI, atc)
	if err != nil {
		return nil, err
	}
	data, err := issuer.ScriptMACData(ScriptCLA, ScriptINS, 0x9F, 0x79,
		[2]byte{byte(atc >> 8), byte(atc)}, arqc, newBalance, ScriptMACLen)
	if err != nil {
		return nil, fmt.Errorf("issuance: script MAC: %w", err)
	}
	mac, err := issuer.ScriptMAC(sk, data, ScriptMACLen)
	if err != nil {
		return nil, fmt.Errorf("issuance: script MAC: %w", err)
	}
	return mac, nil
}

// BalanceScript is the whole PUT DATA 9F79 command that sets the wallet's
// balance to newBalance: 04 DA 9F 79 0A balance(6) MAC(4).
func BalanceScript(mkSMI []byte, atc uint16, arqc []byte, newBalance int64) ([]byte, error) {
	bal, err := Amount(newBalance)
	if err != nil {
		return nil, err
	}
	mac, err := BalanceScriptMAC(mkSMI, atc, arqc, bal)
	if err != nil {
		return nil, err
	}
	cmd := []byte{ScriptCLA, ScriptINS, 0x9F, 0x79, byte(len(bal) + len(mac))}
	cmd = append(cmd, bal...)
	return append(cmd, mac...), nil
}

// ExternalAuthenticate is the command that carries the ARPC and the
// authorisation response code to the card.
func ExternalAuthenticate(arpc []byte, arc [2]byte) []byte {
	cmd := []byte{0x00, 0x82, 0x00, 0x00, byte(len(arpc) + 2)}
	cmd = append(cmd, arpc...)
	return append(cmd, arc[:]...)
}
