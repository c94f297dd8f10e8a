package desk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/store"
	desksync "lingqian/sync"
)

// sideFiles are what an enrolled desk that has synced keeps beside its
// database, as the bank and the forwarder write them.
var sideFiles = map[string]string{
	BankKeyFile:          "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n",
	desksync.CAPKFile:    `{"keys":[]}` + "\n",
	desksync.HotlistFile: `{"version":3,"pans":["6231990000000027"]}` + "\n",
	desksync.CursorFile:  `{"reconciled_through": 2}` + "\n",
}

// enrolledDesk is a desk in a new folder with n purchases, settings as
// enrolment leaves them and the files beside its database; closed when the
// test ends.
func enrolledDesk(t *testing.T, n int) *Desk {
	t.Helper()
	ctx := context.Background()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "data"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	for k, v := range map[string]string{SettingBankURL: "https://127.0.0.1:8443", SettingBankCert: "CERT", SettingTerminal: "T0000042", SettingMerchant: "M00000000000042"} {
		if err := d.DB.SetSetting(ctx, k, v, "enroll"); err != nil {
			t.Fatal(err)
		}
	}
	d.Terminal, d.Merchant = "T0000042", "M00000000000042"
	for name, body := range sideFiles {
		if err := os.WriteFile(filepath.Join(d.Dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sell(t, d, n)
	return d
}

// sell records n purchases of 1.00 at d, as the checkout would.
func sell(t *testing.T, d *Desk, n int) {
	t.Helper()
	ctx := context.Background()
	last, err := d.DB.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for i := last + 1; i <= last+int64(n); i++ {
		_, err := d.DB.Append(ctx, app.Entry{Kind: app.KindPurchase, At: time.Now(), IdempotencyKey: fmt.Sprintf("%s-%d", d.Terminal, i),
			Operator: "li.na", TerminalID: d.Terminal, MerchantID: d.Merchant, Amount: 100, Currency: "156",
			TxnDate: time.Now(), AID: []byte{0xA0, 0, 0, 3, 0x33, 1, 1, 1}, PAN: "6231990000000019", PSN: "00",
			ATC: uint16(i), CID: 0x40, AC: []byte{1, 2, 3, 4, 5, 6, 7, byte(i)}, TVR: make([]byte, 5), UN: []byte{1, 2, 3, 4}})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// folder is every file in dir but the database's own, name → contents.
func folder(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), DBFile) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func TestBackup_RestoredIntoANewFolderIsTheSameDesk(t *testing.T) {
	// Given an enrolled desk with 5 purchases
	ctx := context.Background()
	d := enrolledDesk(t, 5)
	out := filepath.Join(t.TempDir(), "desk-backup.tar")

	// When it is backed up and restored into a new folder
	b, err := d.Backup(ctx, out, false)
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(t.TempDir(), "restored")
	r, err := Restore(ctx, out, target, false)
	if err != nil {
		t.Fatal(err)
	}

	// Then the backup said what it holds
	st, _ := os.Stat(out)
	if b.Break != nil || b.Entries != 5 || b.LastSeq != 5 || b.Bytes != st.Size() || b.Terminal != "T0000042" || b.Schema != store.SchemaVersion() {
		t.Errorf("backup %+v (file %d bytes)", b, st.Size())
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %o, want 600: it holds the desk's key", st.Mode().Perm())
	}
	if want := []string{BankKeyFile, desksync.CAPKFile, desksync.HotlistFile, desksync.CursorFile}; !slices.Equal(b.Names(), want) {
		t.Errorf("backup holds %v, want %v", b.Names(), want)
	}
	// And the restored folder has the same files and a desk that is this one
	if got := folder(t, target); fmt.Sprint(got) != fmt.Sprint(sideFiles) {
		t.Errorf("restored files %v, want %v", got, sideFiles)
	}
	if r.Entries != 5 || r.Replaced != 0 || r.Dir != target {
		t.Errorf("restored %+v", r)
	}
	rd, err := Open(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if rd.Terminal != "T0000042" || rd.Merchant != "M00000000000042" || !rd.Enrolled(ctx) {
		t.Errorf("restored desk is terminal %s merchant %s", rd.Terminal, rd.Merchant)
	}
	if brk, err := rd.DB.Verify(ctx); err != nil || brk != nil {
		t.Errorf("restored chain: %+v %v", brk, err)
	}
	for _, seq := range []int64{1, 5} {
		was, _ := d.DB.Entry(ctx, seq)
		is, err := rd.DB.Entry(ctx, seq)
		if err != nil || !bytes.Equal(was.Hash, is.Hash) {
			t.Errorf("entry %d restored as %x, was %x (%v)", seq, is.Hash, was.Hash, err)
		}
	}
	// And it checks cards with the hotlist it had
	keys, err := rd.CAKeys("")
	if err != nil {
		t.Errorf("the restored desk's CA keys: %v", err)
	} else if _, err := rd.Kernel(keys); err != nil {
		t.Errorf("the restored desk's kernel: %v", err)
	}
	if h, err := desksync.ReadHotlist(target); err != nil || !h.Contains("6231990000000027") {
		t.Errorf("restored hotlist %+v, %v", h, err)
	}
}

func TestBackup_AFileThereIsReplacedOnlyWhenForced(t *testing.T) {
	// Given a desk and yesterday's backup at the name
	ctx := context.Background()
	d := enrolledDesk(t, 2)
	out := filepath.Join(t.TempDir(), "backup.tar")
	if err := os.WriteFile(out, []byte("yesterday"), 0o600); err != nil {
		t.Fatal(err)
	}

	// When a backup is written there without --force
	_, err := d.Backup(ctx, out, false)

	// Then it is refused, the file kept, and no temporary file left
	if !errors.Is(err, ErrBackupExists) {
		t.Fatalf("backup over a file: %v", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "yesterday" {
		t.Errorf("the file became %q", b)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), ".*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}

	// And with force it is replaced by a backup that restores
	if _, err := d.Backup(ctx, out, true); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, out, t.TempDir(), false); err != nil {
		t.Errorf("restore of the replaced backup: %v", err)
	}
}

func TestRestore_ADeskWithAJournalIsReplacedOnlyWhenForced(t *testing.T) {
	// Given a backup of a desk never enrolled (no files beside its
	// database), and an enrolled desk with 3 entries of its own, closed
	ctx := context.Background()
	plain, err := Open(ctx, filepath.Join(t.TempDir(), "plain"))
	if err != nil {
		t.Fatal(err)
	}
	sell(t, plain, 1)
	out := filepath.Join(t.TempDir(), "plain.tar")
	if _, err := plain.Backup(ctx, out, false); err != nil {
		t.Fatal(err)
	}
	plain.Close()
	occupied := enrolledDesk(t, 3)
	occupied.Close()
	before := folder(t, occupied.Dir)

	// When it is restored there without force
	_, err = Restore(ctx, out, occupied.Dir, false)

	// Then it is refused, naming the entries, and the folder is as it was
	var occ *OccupiedError
	if !errors.As(err, &occ) || occ.Entries != 3 {
		t.Fatalf("restore over a journal: %v", err)
	}
	if after := folder(t, occupied.Dir); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("folder changed:\n%v\nwas\n%v", after, before)
	}

	// And forced, the desk is the backup's, without the old desk's key
	r, err := Restore(ctx, out, occupied.Dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Replaced != 3 || r.Entries != 1 {
		t.Errorf("restored %+v", r)
	}
	if left := folder(t, occupied.Dir); len(left) != 0 {
		t.Errorf("the old desk's files are still there: %v", left)
	}
	rd, err := Open(ctx, occupied.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	if last, _ := rd.DB.LastSeq(ctx); last != 1 || rd.Enrolled(ctx) {
		t.Errorf("restored desk: last seq %d, enrolled %v", last, rd.Enrolled(ctx))
	}
}

func TestRestore_ADeskOpenInAnotherProgramIsNotReplaced(t *testing.T) {
	// Given a backup, and a folder whose desk (no sales yet) is open
	ctx := context.Background()
	d := enrolledDesk(t, 2)
	out := filepath.Join(t.TempDir(), "b.tar")
	if _, err := d.Backup(ctx, out, false); err != nil {
		t.Fatal(err)
	}
	running, err := Open(ctx, filepath.Join(t.TempDir(), "running"))
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()

	// When it is restored there, even forced
	_, err = Restore(ctx, out, running.Dir, true)

	// Then it is refused and the running desk goes on as it was
	if !errors.Is(err, ErrDeskInUse) {
		t.Fatalf("restore over an open desk: %v", err)
	}
	sell(t, running, 1)
	if last, _ := running.DB.LastSeq(ctx); last != 1 {
		t.Errorf("the running desk's journal ends at %d", last)
	}
}

func TestRestore_RefusesWhatItCannotTrust(t *testing.T) {
	ctx := context.Background()
	d := enrolledDesk(t, 4)
	good := filepath.Join(t.TempDir(), "good.tar")
	b, err := d.Backup(ctx, good, false)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		make  func(t *testing.T) []byte
		check func(error) bool
	}{
		{"a byte of the database changed", func(t *testing.T) []byte {
			c := bytes.Clone(raw)
			c[3*512+4096+100] ^= 0xFF // inside the database, past the manifest's blocks
			return c
		}, func(err error) bool { return errors.Is(err, ErrNotBackup) }},
		{"cut short", func(t *testing.T) []byte { return raw[:len(raw)/2] }, func(err error) bool { return errors.Is(err, ErrNotBackup) }},
		{"not an archive", func(t *testing.T) []byte { return []byte("SQLite format 3\x00 and more") }, func(err error) bool { return errors.Is(err, ErrNotBackup) }},
		{"a newer release's", func(t *testing.T) []byte {
			m := b.Manifest
			m.Schema = store.SchemaVersion() + 1
			return archiveOf(t, m, d)
		}, func(err error) bool {
			var n *NewerBackupError
			return errors.As(err, &n) && n.Schema == store.SchemaVersion()+1
		}},
		{"a database of a newer release under an old manifest", func(t *testing.T) []byte {
			return archiveOf(t, b.Manifest, d, "PRAGMA user_version = "+fmt.Sprint(store.SchemaVersion()+3)+";")
		}, func(err error) bool {
			var n *NewerBackupError
			return errors.As(err, &n) && n.Schema == store.SchemaVersion()+3
		}},
		{"a journal whose chain breaks", func(t *testing.T) []byte {
			return archiveOf(t, b.Manifest, d, "DROP TRIGGER journal_no_update; UPDATE journal SET amount = 99999 WHERE seq = 2;")
		}, func(err error) bool {
			var brk *BrokenBackupError
			return errors.As(err, &brk) && brk.Break.Seq == 2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a backup file that is not what a backup wrote
			from := filepath.Join(t.TempDir(), "b.tar")
			if err := os.WriteFile(from, tt.make(t), 0o600); err != nil {
				t.Fatal(err)
			}
			target := filepath.Join(t.TempDir(), "data")

			// When it is restored
			_, err := Restore(ctx, from, target, false)

			// Then it is refused, and the folder holds nothing
			if err == nil || !tt.check(err) {
				t.Fatalf("restore: %v", err)
			}
			if left, _ := os.ReadDir(target); len(left) != 0 {
				t.Errorf("left in the folder: %v", left)
			}
		})
	}
}

// archiveOf is a backup of d written by hand with manifest m, its
// database copy changed by sql (through the sqlite3 tool) first, the
// hashes made to match.
func archiveOf(t *testing.T, m Manifest, d *Desk, sql ...string) []byte {
	t.Helper()
	dbPath := filepath.Join(t.TempDir(), DBFile)
	if err := d.DB.Backup(context.Background(), dbPath); err != nil {
		t.Fatal(err)
	}
	for _, q := range sql {
		if out, err := exec.Command("/usr/bin/sqlite3", dbPath, q).CombinedOutput(); err != nil {
			t.Fatalf("sqlite3 %q: %v\n%s", q, err, out)
		}
	}
	f, err := hashFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	m.Files = []ManifestFile{f}
	members := []archiveMember{{name: DBFile, size: f.Size, open: func() (io.ReadCloser, error) { return os.Open(dbPath) }}}
	var buf bytes.Buffer
	if err := writeArchive(&buf, m, members); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestBackup_ABrokenJournalIsWrittenAndSaidSo(t *testing.T) {
	// Given a desk whose journal someone changed behind its back
	ctx := context.Background()
	d := enrolledDesk(t, 3)
	path := d.DB.Path()
	d.Close()
	if out, err := exec.Command("/usr/bin/sqlite3", path, "DROP TRIGGER journal_no_update; UPDATE journal SET amount = 1 WHERE seq = 2;").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	d, err := Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// When it is backed up
	out := filepath.Join(t.TempDir(), "evidence.tar")
	b, err := d.Backup(ctx, out, false)

	// Then the copy is written, as evidence, and says where the chain breaks
	if err != nil {
		t.Fatal(err)
	}
	if b.Break == nil || b.Break.Seq != 2 {
		t.Fatalf("break %+v", b.Break)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("no backup file: %v", err)
	}
}

func FuzzReadArchive(f *testing.F) {
	d, err := Open(context.Background(), f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	out := filepath.Join(f.TempDir(), "seed.tar")
	if _, err := d.Backup(context.Background(), out, false); err != nil {
		f.Fatal(err)
	}
	d.Close()
	seed, err := os.ReadFile(out)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add(seed[:1024])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Whatever the file holds, reading it answers and never panics; what
		// it accepts matches the manifest it returns.
		var got []string
		m, err := readArchive(bytes.NewReader(b), func(name string) (io.WriteCloser, error) {
			got = append(got, name)
			return nopCloser{io.Discard}, nil
		})
		if err != nil {
			if !errors.Is(err, ErrNotBackup) {
				t.Fatalf("error %v is not ErrNotBackup", err)
			}
			return
		}
		if len(got) != len(m.Files) || m.Files[0].Name != DBFile {
			t.Fatalf("accepted %v under manifest %+v", got, m)
		}
	})
}

func TestRestore_ForcedOverAFolderANewerReleaseWrote(t *testing.T) {
	// Given the backup taken before an upgrade, and the folder the newer
	// release has written since, closed
	ctx := context.Background()
	d := enrolledDesk(t, 2)
	out := filepath.Join(t.TempDir(), "before-upgrade.tar")
	if _, err := d.Backup(ctx, out, false); err != nil {
		t.Fatal(err)
	}
	d.Close()
	ahead := fmt.Sprintf("PRAGMA user_version = %d;", store.SchemaVersion()+1)
	if b, err := exec.Command("/usr/bin/sqlite3", filepath.Join(d.Dir, DBFile), ahead).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}

	// When this, the older, release restores the backup there: first
	// without force, then with it
	_, refused := Restore(ctx, out, d.Dir, false)
	r, err := Restore(ctx, out, d.Dir, true)

	// Then the first is refused as a desk that does not open, and the
	// forced one gives back the desk of the backup
	var occ *OccupiedError
	if !errors.As(refused, &occ) || !errors.Is(refused, store.ErrNewerSchema) {
		t.Errorf("unforced: %v", refused)
	}
	if err != nil || r.Entries != 2 {
		t.Fatalf("forced: %+v, %v", r, err)
	}
	back, err := Open(ctx, d.Dir)
	if err != nil {
		t.Fatal(err)
	}
	back.Close()
}
