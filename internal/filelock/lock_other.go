//go:build !(unix && !aix) && !windows

package filelock

import (
	"errors"
	"fmt"
)

// ErrUnsupported: this system has no file lock the package knows.
var ErrUnsupported = errors.New("this system cannot lock a file against other programs")

func lock(path string) (unlock func(), err error) {
	return nil, fmt.Errorf("lock %s: %w", path, ErrUnsupported)
}
