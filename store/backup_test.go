package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackup_TakenWhileSalesAreWrittenHoldsAWholeJournal(t *testing.T) {
	// Given a desk whose checkout appends purchases as fast as it can
	ctx := context.Background()
	db := openTemp(t)
	appendPurchases(t, db, 3)
	var written atomic.Int64
	written.Store(3)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			e, err := db.Append(ctx, purchase(fmt.Sprintf("live-%d", i), 100, "li.na", t0.Add(time.Duration(i)*time.Second)))
			if err != nil {
				writeErr = err
				return
			}
			written.Store(e.Seq)
		}
	})

	// When backups are taken meanwhile
	dir := t.TempDir()
	var copies []string
	var during []int64
	for i := range 8 {
		path := filepath.Join(dir, fmt.Sprintf("copy-%d.db", i))
		before := written.Load()
		if err := db.Backup(ctx, path); err != nil {
			close(stop)
			wg.Wait()
			t.Fatalf("backup %d: %v", i, err)
		}
		during = append(during, written.Load()-before)
		copies = append(copies, path)
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatalf("the checkout's writes failed during the backups: %v", writeErr)
	}
	final, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Then each copy opens, its chain holds to its last entry, and that
	// entry is the desk's own entry of that seq, hash for hash
	caught := 0
	for i, path := range copies {
		c, err := Open(path)
		if err != nil {
			t.Fatalf("copy %d: %v", i, err)
		}
		if brk, err := c.Verify(ctx); err != nil || brk != nil {
			t.Errorf("copy %d: chain %+v, %v", i, brk, err)
		}
		last, err := c.LastSeq(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := c.EntryCount(ctx)
		if err != nil || n != last {
			t.Errorf("copy %d: %d entries up to %d (%v)", i, n, last, err)
		}
		mine, err := c.Entry(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		live, err := db.Entry(ctx, last)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(mine.Hash, live.Hash) {
			t.Errorf("copy %d: entry %d differs from the desk's", i, last)
		}
		if last > 3 && last < final {
			caught++
		}
		c.Close()
	}
	// And the copies were taken in the middle of the selling, not before
	// or after it
	if caught == 0 || final < 10 {
		t.Errorf("no copy caught the journal mid-way (%d entries in the end; written during each backup: %v)", final, during)
	}
	t.Logf("%d entries written; during each backup: %v", final, during)
}

func TestBackup_RefusesAFileThatExists(t *testing.T) {
	// Given a desk and a file where the copy should go
	db := openTemp(t)
	appendPurchases(t, db, 2)
	path := filepath.Join(t.TempDir(), "there.db")
	if err := os.WriteFile(path, []byte("yesterday's"), 0o600); err != nil {
		t.Fatal(err)
	}

	// When a backup is taken to it
	err := db.Backup(context.Background(), path)

	// Then it is refused and the file is as it was
	if !errors.Is(err, os.ErrExist) {
		t.Fatalf("backup over a file: %v, want os.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "yesterday's" {
		t.Errorf("the file was changed to %q", b)
	}
}

func TestBackup_CancelledLeavesNoFile(t *testing.T) {
	// Given a desk, and a backup asked for by someone who has already gone
	db := openTemp(t)
	appendPurchases(t, db, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "copy.db")

	// When it runs
	err := db.Backup(ctx, path)

	// Then it fails and leaves nothing half-written
	if err == nil {
		t.Fatal("a cancelled backup succeeded")
	}
	if _, serr := os.Stat(path); !errors.Is(serr, os.ErrNotExist) {
		t.Errorf("a file was left at %s (%v)", path, serr)
	}
}

func TestBackup_CopyIsPrivate(t *testing.T) {
	// Given a desk
	db := openTemp(t)
	appendPurchases(t, db, 1)
	path := filepath.Join(t.TempDir(), "copy.db")

	// When it is backed up
	if err := db.Backup(context.Background(), path); err != nil {
		t.Fatal(err)
	}

	// Then the copy, holding PIN hashes and the journal, is 0600
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("copy mode %o, want 600", st.Mode().Perm())
	}
}
