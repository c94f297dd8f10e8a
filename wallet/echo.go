package wallet

// EchoCard is a null card application: it answers every command with the
// command's data field and 90 00. It does no work of its own, so a tap
// served by it measures the transport alone.
type EchoCard struct{}

// Reset does nothing: the echo card keeps no state.
func (EchoCard) Reset() {}

// Process echoes the data field of a short or extended C-APDU.
func (EchoCard) Process(cmd []byte) []byte {
	return append(commandData(cmd), 0x90, 0x00)
}

// commandData returns the data field of a C-APDU (ISO 7816-4 cases 1–4,
// short and extended), or nil when the command carries none or is malformed.
func commandData(cmd []byte) []byte {
	if len(cmd) <= 5 {
		return nil // case 1, or case 2 short
	}
	if cmd[4] != 0 {
		n := int(cmd[4])
		if 5+n > len(cmd) {
			return nil
		}
		return append([]byte(nil), cmd[5:5+n]...)
	}
	if len(cmd) < 7 {
		return nil
	}
	n := int(cmd[5])<<8 | int(cmd[6])
	if n == 0 || 7+n > len(cmd) {
		return nil // case 2 extended
	}
	return append([]byte(nil), cmd[7:7+n]...)
}
