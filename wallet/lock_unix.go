//go:build unix && !aix

package wallet

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile holds an exclusive lock on path.lock until unlock is called:
// the lock of the wallet file path, which is itself replaced by renames
// and so cannot carry one. Every read-change-write of the wallet file
// takes it (Card.hold), so that two processes on one wallet never both
// change the state they read. flock locks belong to the open file, so two
// Cards of one process on the same wallet exclude each other too.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wallet: lock: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("wallet: lock %s: %w", f.Name(), err)
	}
	return func() {
		_ = unix.Flock(int(f.Fd()), unix.LOCK_UN)
		_ = f.Close()
	}, nil
}
