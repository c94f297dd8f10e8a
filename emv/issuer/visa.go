package issuer

import "fmt"

// VisaACData is the transaction data Visa CVN 10 and CVN 18 feed into the
// cryptogram, in that order. Fixed-size fields make a wrongly sized value a
// compile-time error rather than a cryptogram that silently never verifies.
type VisaACData struct {
	AmountAuthorised    [6]byte // 9F02, n12
	AmountOther         [6]byte // 9F03, n12
	TerminalCountryCode [2]byte // 9F1A
	TVR                 [5]byte // 95
	CurrencyCode        [2]byte // 5F2A
	Date                [3]byte // 9A, YYMMDD
	Type                byte    // 9C
	UnpredictableNumber [4]byte // 9F37
	AIP                 [2]byte // 82
	ATC                 [2]byte // 9F36
}

// visaACDataLen is the length of VisaACData's encoding.
const visaACDataLen = 6 + 6 + 2 + 5 + 2 + 3 + 1 + 4 + 2 + 2

// Bytes is the fields concatenated in cryptogram order.
func (d VisaACData) Bytes() []byte {
	out := make([]byte, 0, visaACDataLen)
	out = append(out, d.AmountAuthorised[:]...)
	out = append(out, d.AmountOther[:]...)
	out = append(out, d.TerminalCountryCode[:]...)
	out = append(out, d.TVR[:]...)
	out = append(out, d.CurrencyCode[:]...)
	out = append(out, d.Date[:]...)
	out = append(out, d.Type)
	out = append(out, d.UnpredictableNumber[:]...)
	out = append(out, d.AIP[:]...)
	out = append(out, d.ATC[:]...)
	return out
}

// CVN10AC computes a Visa CVN 10 cryptogram. CVN 10 has no session key: the
// ICC master key (option A) signs the data followed by the 4-byte card
// verification results (bytes 4 to 7 of 9F10), zero-padded (method 1).
func CVN10AC(iccMK []byte, d VisaACData, cvr [4]byte) ([]byte, error) {
	ac, err := mac(iccMK, append(d.Bytes(), cvr[:]...), Padding1)
	return ac, wrap("CVN 10 AC", err)
}

// CVN10ARPC computes a Visa CVN 10 ARPC: method 1 under the ICC master key.
func CVN10ARPC(iccMK, arqc []byte, arc [2]byte) ([]byte, error) {
	arpc, err := arpcMethod1(iccMK, arqc, arc)
	return arpc, wrap("CVN 10 ARPC", err)
}

// maxIADLen is the longest issuer application data 9F10 EMV allows.
const maxIADLen = 32

// CVN18AC computes a Visa CVN 18 cryptogram: the common session key for the
// ATC in d, over the data followed by the whole issuer application data 9F10
// as the card returned it, with padding method 2. The usual 7-byte 9F10 makes
// the input exactly 40 bytes, so padding adds a whole block.
func CVN18AC(iccMK []byte, d VisaACData, iad []byte) ([]byte, error) {
	ac, err := cvn18AC(iccMK, d, iad)
	return ac, wrap("CVN 18 AC", err)
}

func cvn18AC(iccMK []byte, d VisaACData, iad []byte) ([]byte, error) {
	if len(iad) > maxIADLen {
		return nil, fmt.Errorf("issuer application data is %d bytes, at most %d: %w", len(iad), maxIADLen, ErrDataLength)
	}
	sk, err := commonSessionKey(iccMK, d.ATC)
	if err != nil {
		return nil, err
	}
	return mac(sk, append(d.Bytes(), iad...), Padding2)
}

// CVN18ARPC computes a Visa CVN 18 ARPC: method 2 under the common session
// key for atc.
func CVN18ARPC(iccMK, arqc []byte, atc [2]byte, csu [4]byte, propAuthData []byte) ([]byte, error) {
	sk, err := commonSessionKey(iccMK, atc)
	if err != nil {
		return nil, wrap("CVN 18 ARPC", err)
	}
	arpc, err := arpcMethod2(sk, arqc, csu, propAuthData)
	return arpc, wrap("CVN 18 ARPC", err)
}
