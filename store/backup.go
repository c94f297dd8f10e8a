package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/mattn/go-sqlite3"
)

// backupRetry is how long Backup waits before trying again when SQLite
// answers busy: only while another process recovers the WAL after a crash
// can a reader be kept out of a WAL database.
const backupRetry = 20 * time.Millisecond

// Backup writes a copy of the database, as one transaction saw it, to
// path, a file that must not exist yet; it is made 0600 and synced to
// disk before Backup returns. The desk goes on selling meanwhile.
//
// It is SQLite's online backup API run from a connection of the read
// pool, all pages in one step: that step is one read transaction, which
// in WAL mode sees a single committed state and does not hold back the
// writer, so a purchase committed during the copy is either wholly in it
// or not at all. (Copying in several steps would start over each time
// another connection wrote, which on a busy desk might never end.)
// Copying the file with the operating system instead could take the
// main file and its -wal at different moments and give a database that
// does not open, or one that lost its last purchases.
func (db *DB) Backup(ctx context.Context, path string) (err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("store: backup to %s: %w", path, err)
	}
	f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup to %s: %w", abs, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: backup to %s: %w", abs, err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(abs)
			_ = os.Remove(abs + "-journal")
		}
	}()
	if err := db.copyTo(ctx, abs); err != nil {
		return fmt.Errorf("store: backup to %s: %w", abs, err)
	}
	if err := syncFile(abs); err != nil {
		return fmt.Errorf("store: backup to %s: %w", abs, err)
	}
	// Not every file system can sync a folder; the file itself is synced.
	_ = syncFolder(filepath.Dir(abs))
	return nil
}

// copyTo runs the online backup from a read-pool connection into the
// empty database file at path.
func (db *DB) copyTo(ctx context.Context, path string) error {
	u := url.URL{Path: path}
	// synchronous=FULL: the copy's last commit is on disk when it ends.
	dst, err := sql.Open("sqlite3", "file:"+u.EscapedPath()+"?_synchronous=FULL")
	if err != nil {
		return err
	}
	defer dst.Close()
	dc, err := dst.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open the copy: %w", err)
	}
	defer dc.Close()
	sc, err := db.r.Conn(ctx)
	if err != nil {
		return fmt.Errorf("a connection to read from: %w", err)
	}
	defer sc.Close()
	err = dc.Raw(func(d any) error {
		to, ok := d.(*sqlite3.SQLiteConn)
		if !ok {
			return fmt.Errorf("the copy's driver connection is a %T", d)
		}
		return sc.Raw(func(s any) error {
			from, ok := s.(*sqlite3.SQLiteConn)
			if !ok {
				return fmt.Errorf("the desk's driver connection is a %T", s)
			}
			return step(ctx, to, from)
		})
	})
	if err != nil {
		return err
	}
	if err := dc.Close(); err != nil {
		return err
	}
	return dst.Close()
}

// step copies every page in one step, trying again while SQLite is busy.
func step(ctx context.Context, to, from *sqlite3.SQLiteConn) error {
	b, err := to.Backup("main", from, "main")
	if err != nil {
		return fmt.Errorf("start the copy: %w", err)
	}
	for {
		done, err := b.Step(-1)
		if err != nil {
			_ = b.Finish()
			return fmt.Errorf("copy: %w", err)
		}
		if done {
			if err := b.Finish(); err != nil {
				return fmt.Errorf("finish the copy: %w", err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			_ = b.Finish()
			return ctx.Err()
		case <-time.After(backupRetry):
		}
	}
}

// EntryCount is how many entries the journal holds.
func (db *DB) EntryCount(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM journal").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count entries: %w", err)
	}
	return n, nil
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return fmt.Errorf("sync: %w", err)
	}
	return f.Close()
}

func syncFolder(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
