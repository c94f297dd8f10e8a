// Package filelock holds an exclusive lock on a file shared by several
// processes: flock on Unix, LockFileEx on Windows. A lock belongs to the
// open file, so it ends with the process that took it, however that ends
// (a lock file left behind by a crash locks nothing), and two holders in
// one process exclude each other too.
package filelock

// Lock blocks until it holds the exclusive lock of path (created, mode
// 0600, when missing) and returns the function that lets it go. The file
// itself is left in place: removing it while another process waits on it
// would let a third lock a new file of the same name.
func Lock(path string) (unlock func(), err error) { return lock(path) }
