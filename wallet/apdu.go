package wallet

// Status words the card answers with (ISO 7816-4, EMV Book 3 Annex A).
const (
	swOK              = 0x9000
	swAuthFailed      = 0x6300 // EXTERNAL AUTHENTICATE: the ARPC is wrong
	swMemoryFailure   = 0x6581 // the state could not be saved: nothing changed
	swWrongLength     = 0x6700
	swConditions      = 0x6985 // conditions of use not satisfied
	swSMWrong         = 0x6988 // secure messaging data object incorrect: a bad MAC
	swWrongData       = 0x6A80
	swNotFound        = 0x6A82 // application or file not found
	swNoRecord        = 0x6A83
	swWrongP1P2       = 0x6A86
	swNoData          = 0x6A88 // referenced data not found
	swINSNotSupported = 0x6D00
	swCLANotSupported = 0x6E00
	swUnknown         = 0x6F00
)

func sw(code uint16) []byte { return []byte{byte(code >> 8), byte(code)} }

// apdu is a parsed short C-APDU.
type apdu struct {
	cla, ins, p1, p2 byte
	data             []byte // nil for cases 1 and 2
}

// parseAPDU reads a short C-APDU (ISO 7816-4 cases 1 to 4). Extended
// lengths are refused: no command of this card needs them. ok is false
// when the lengths do not add up.
func parseAPDU(b []byte) (a apdu, ok bool) {
	if len(b) < 4 {
		return a, false
	}
	a = apdu{cla: b[0], ins: b[1], p1: b[2], p2: b[3]}
	switch {
	case len(b) <= 5: // case 1, or case 2 with Le
		return a, true
	case b[4] == 0: // an extended Lc
		return a, false
	}
	lc := int(b[4])
	switch len(b) {
	case 5 + lc, 6 + lc: // case 3, or case 4 with Le
		a.data = b[5 : 5+lc : 5+lc]
		return a, true
	}
	return a, false
}
