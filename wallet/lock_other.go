//go:build !unix

package wallet

// canLock: no file lock here, so nothing reads the wallet file, changes it
// and writes it back (TrimLog does nothing).
const canLock = false

func lockFile(string) (unlock func(), err error) { return func() {}, nil }
