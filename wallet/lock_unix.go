//go:build unix

package wallet

import (
	"fmt"
	"os"
	"syscall"
)

// canLock: the wallet file can be locked against other processes here.
const canLock = true

// lockFile holds an exclusive lock on path.lock until unlock is called.
// Every write of the wallet file takes it, so that a process that reads
// the file, changes it and writes it back (TrimLog) cannot write over
// what another process (the phone on the reader) wrote meanwhile.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wallet: lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wallet: lock %s: %w", f.Name(), err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		_ = f.Close()
	}, nil
}
