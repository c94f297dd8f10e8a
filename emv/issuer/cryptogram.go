package issuer

import (
	"crypto/subtle"
	"fmt"
)

// Lengths fixed by EMV Book 2 sections 8.2 and 9.2.
const (
	ARQCLen        = 8
	ARPC2Len       = 4
	maxPropAuthLen = 8
	minScriptMAC   = 4
	maxScriptMAC   = 8
)

// GenerateAC computes an application cryptogram (ARQC, TC or AAC): the MAC
// of the data the card's CVN selects under the AC session key. Which data
// and which padding is the scheme's choice, so the caller assembles it.
func GenerateAC(sessionKey, data []byte, p Padding) ([]byte, error) {
	ac, err := mac(sessionKey, data, p)
	return ac, wrap("generate AC", err)
}

// VerifyAC recomputes a cryptogram and compares it in constant time, so a
// forger probing the bank learns nothing from how long a rejection takes.
// A mismatch is false with a nil error; an error means the input was bad.
func VerifyAC(sessionKey, data []byte, p Padding, ac []byte) (bool, error) {
	want, err := mac(sessionKey, data, p)
	if err != nil {
		return false, wrap("verify AC", err)
	}
	return subtle.ConstantTimeCompare(want, ac) == 1, nil
}

// ARPCMethod1 computes the 8-byte ARPC of EMV Book 2 8.2.1:
// 3DES(key, ARQC xor (ARC || 00..00)). EMV uses the AC session key; Visa
// CVN 10 and some issuers use the ICC master key itself, hence "key".
func ARPCMethod1(key, arqc []byte, arc [2]byte) ([]byte, error) {
	arpc, err := arpcMethod1(key, arqc, arc)
	return arpc, wrap("ARPC method 1", err)
}

func arpcMethod1(key, arqc []byte, arc [2]byte) ([]byte, error) {
	if len(arqc) != ARQCLen {
		return nil, fmt.Errorf("ARQC is %d bytes, want %d: %w", len(arqc), ARQCLen, ErrDataLength)
	}
	c, err := tripleDES("ARPC key", key)
	if err != nil {
		return nil, err
	}
	in := append([]byte(nil), arqc...)
	in[0] ^= arc[0]
	in[1] ^= arc[1]
	return encryptECB(c, in), nil
}

// ARPCMethod2 computes the 4-byte ARPC of EMV Book 2 8.2.2: the leftmost
// bytes of MAC(key, ARQC || CSU || proprietary authentication data) with
// padding method 2. propAuthData may be empty and is at most 8 bytes.
func ARPCMethod2(sessionKey, arqc []byte, csu [4]byte, propAuthData []byte) ([]byte, error) {
	arpc, err := arpcMethod2(sessionKey, arqc, csu, propAuthData)
	return arpc, wrap("ARPC method 2", err)
}

func arpcMethod2(sessionKey, arqc []byte, csu [4]byte, propAuthData []byte) ([]byte, error) {
	if len(arqc) != ARQCLen {
		return nil, fmt.Errorf("ARQC is %d bytes, want %d: %w", len(arqc), ARQCLen, ErrDataLength)
	}
	if len(propAuthData) > maxPropAuthLen {
		return nil, fmt.Errorf("proprietary authentication data is %d bytes, at most %d: %w", len(propAuthData), maxPropAuthLen, ErrDataLength)
	}
	in := make([]byte, 0, ARQCLen+len(csu)+len(propAuthData))
	in = append(in, arqc...)
	in = append(in, csu[:]...)
	in = append(in, propAuthData...)
	m, err := mac(sessionKey, in, Padding2)
	if err != nil {
		return nil, err
	}
	return m[:ARPC2Len], nil
}

// ScriptMAC computes the MAC that protects an issuer script command (EMV
// Book 2 9.2.1): the leftmost length bytes, 4 to 8, of MAC algorithm 3 with
// padding method 2 under the secure-messaging integrity session key. data is
// what ScriptMACData assembles.
func ScriptMAC(sessionKey, data []byte, length int) ([]byte, error) {
	if err := checkScriptMACLen(length); err != nil {
		return nil, wrap("script MAC", err)
	}
	m, err := mac(sessionKey, data, Padding2)
	if err != nil {
		return nil, wrap("script MAC", err)
	}
	return m[:length], nil
}

// ScriptMACData assembles the input of a script command's MAC (EMV Book 2
// 9.2.1): CLA INS P1 P2 Lc || ATC || ARQC || command data. Lc is the length
// the command will carry, MAC included, which is why macLen is needed here:
// the card recomputes the MAC over the header it actually received.
func ScriptMACData(cla, ins, p1, p2 byte, atc [2]byte, arqc, cmdData []byte, macLen int) ([]byte, error) {
	d, err := scriptMACData(cla, ins, p1, p2, atc, arqc, cmdData, macLen)
	return d, wrap("script MAC data", err)
}

func scriptMACData(cla, ins, p1, p2 byte, atc [2]byte, arqc, cmdData []byte, macLen int) ([]byte, error) {
	if len(arqc) != ARQCLen {
		return nil, fmt.Errorf("ARQC is %d bytes, want %d: %w", len(arqc), ARQCLen, ErrDataLength)
	}
	if err := checkScriptMACLen(macLen); err != nil {
		return nil, err
	}
	lc := len(cmdData) + macLen
	if lc > 255 {
		return nil, fmt.Errorf("command data is %d bytes, too long for a short APDU with a %d-byte MAC: %w", len(cmdData), macLen, ErrDataLength)
	}
	out := make([]byte, 0, 5+len(atc)+ARQCLen+len(cmdData))
	out = append(out, cla, ins, p1, p2, byte(lc))
	out = append(out, atc[:]...)
	out = append(out, arqc...)
	out = append(out, cmdData...)
	return out, nil
}

func checkScriptMACLen(n int) error {
	if n < minScriptMAC || n > maxScriptMAC {
		return fmt.Errorf("MAC length %d, want %d to %d: %w", n, minScriptMAC, maxScriptMAC, ErrDataLength)
	}
	return nil
}
