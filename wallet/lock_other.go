//go:build !(unix && !aix) && !windows

package wallet

import "fmt"

// lockFile: this system has no file lock the wallet knows how to take, and
// without one two processes on a wallet file could spend the same ATC. So
// the wallet refuses to change its file here, saying why.
func lockFile(path string) (unlock func(), err error) {
	return nil, fmt.Errorf("wallet: %s: this system cannot lock the wallet file against other programs, so the wallet does not run here", path)
}
