//go:build windows

package wallet

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// lockFile holds an exclusive lock on path.lock until unlock is called,
// as on Unix (lock_unix.go), with LockFileEx on the file's first byte.
// The lock belongs to the handle, so two Cards of one process on the same
// wallet exclude each other too.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("wallet: lock: %w", err)
	}
	h := windows.Handle(f.Fd())
	var whole windows.Overlapped
	if err := windows.LockFileEx(h, windows.LOCKFILE_EXCLUSIVE_LOCK, 0, 1, 0, &whole); err != nil {
		f.Close()
		return nil, fmt.Errorf("wallet: lock %s: %w", f.Name(), err)
	}
	return func() {
		_ = windows.UnlockFileEx(h, 0, 1, 0, &whole)
		_ = f.Close()
	}, nil
}
