package filelock_test

import (
	"path/filepath"
	"testing"
	"time"

	"lingqian/internal/filelock"
)

func TestLock_ASecondHolderWaitsForTheFirst(t *testing.T) {
	// Given a lock held
	path := filepath.Join(t.TempDir(), "keys.lock")
	unlock, err := filelock.Lock(path)
	if err != nil {
		t.Fatal(err)
	}

	// When another asks for it
	got := make(chan func(), 1)
	go func() {
		u, err := filelock.Lock(path)
		if err != nil {
			t.Error(err)
			u = func() {}
		}
		got <- u
	}()

	// Then it waits until the first lets go, and then has it
	select {
	case <-got:
		t.Fatal("the second holder had the lock while the first held it")
	case <-time.After(200 * time.Millisecond):
	}
	unlock()
	select {
	case u := <-got:
		u()
	case <-time.After(10 * time.Second):
		t.Fatal("the second holder never had the lock")
	}
}
