package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"lingqian/app"
	"lingqian/desk"
)

// Exit codes of `lingqian backup`: 0 written and its journal chain holds,
// exitBrokenCopy written but the chain breaks (a finding, as `journal
// verify` answers it), exitError nothing written.
const exitBrokenCopy = 1

// breakJSON is where a journal's chain breaks.
type breakJSON struct {
	Seq    int64  `json:"seq"`
	Reason string `json:"reason"`
}

// backupJSON is what `lingqian backup --json` and `lingqian restore
// --json` print.
type backupJSON struct {
	File     string     `json:"file,omitempty"`
	Data     string     `json:"data,omitempty"`
	Bytes    int64      `json:"bytes,omitempty"`
	Entries  int64      `json:"entries"`
	LastSeq  int64      `json:"last_seq"`
	Schema   int        `json:"schema"`
	Terminal string     `json:"terminal"`
	Merchant string     `json:"merchant"`
	Taken    time.Time  `json:"taken"`
	Files    []string   `json:"files"`
	Chain    string     `json:"chain"` // intact | broken
	Break    *breakJSON `json:"break,omitempty"`
	Replaced int64      `json:"replaced,omitempty"`
}

func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian backup", args, stdout, stderr)
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the desk's data folder")
	out := fs.String("out", "", "the backup file to write")
	force := fs.Bool("force", false, "replace the file if it exists")
	asJSON := fs.Bool("json", false, "print what the backup holds as JSON")
	langFlag(fs)
	if !s.parse(fs, args) {
		return exitError
	}
	if fs.NArg() > 0 {
		return s.refuse(app.MsgCLIUnexpected, fs.Args())
	}
	if *out == "" {
		return s.refuse(app.MsgCLIBackupNeedOut)
	}
	dir := *dataDir
	if dir == "" {
		dir = desk.DefaultDir()
	}
	// Opening a folder makes a desk in it: a backup of a folder with none
	// would be a new, empty desk's.
	if !desk.HasDesk(dir) {
		return s.refuse(app.MsgCLIBackupNoDesk, dir)
	}
	d, err := s.openDesk(ctx, dir)
	if err != nil {
		return exitError
	}
	defer d.Close()
	b, err := d.Backup(ctx, *out, *force)
	switch {
	case errors.Is(err, desk.ErrBackupExists):
		return s.fail(s.t(app.MsgCLIBackupExists, *out), err)
	case err != nil && known(err):
		return s.failErr(err)
	case err != nil:
		return s.fail(s.t(app.MsgCLIBackupCannotWrite, *out), err)
	}
	if *asJSON {
		j := summaryJSON(b.Manifest, b.Break)
		j.File, j.Bytes = b.File, b.Bytes
		printJSON(stdout, j)
	} else {
		s.say(app.MsgCLIBackupWritten, b.File, fileSize(b.Bytes))
		if b.Break == nil {
			s.sayJournal(b.Manifest)
		}
		s.sayFiles(b.Manifest)
		s.say(app.MsgCLIBackupKeepSafe)
	}
	if b.Break != nil {
		if b.Break.Seq == 0 {
			s.warn(s.t(app.MsgCLIBackupBrokenRecords), errors.New(b.Break.Reason))
		} else {
			s.warn(s.t(app.MsgCLIBackupBroken, b.Break.Seq), errors.New(b.Break.Reason))
		}
		return exitBrokenCopy
	}
	return 0
}

func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian restore", args, stdout, stderr)
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	dataDir := fs.String("data", "", "the data folder to restore into")
	from := fs.String("from", "", "the backup file `lingqian backup` wrote")
	force := fs.Bool("force", false, "replace a desk whose journal has entries")
	asJSON := fs.Bool("json", false, "print what was restored as JSON")
	langFlag(fs)
	if !s.parse(fs, args) {
		return exitError
	}
	if fs.NArg() > 0 {
		return s.refuse(app.MsgCLIUnexpected, fs.Args())
	}
	if *from == "" {
		return s.refuse(app.MsgCLIBackupNeedFrom)
	}
	dir := *dataDir
	if dir == "" {
		dir = desk.DefaultDir()
	}
	r, err := desk.Restore(ctx, *from, dir, *force)
	if err != nil {
		return s.fail(s.restoreSentence(err, *from, dir), err)
	}
	if *asJSON {
		j := summaryJSON(r.Manifest, nil)
		j.Data, j.Replaced = r.Dir, r.Replaced
		printJSON(stdout, j)
		return 0
	}
	s.say(app.MsgCLIBackupRestored, r.Dir, r.Terminal, r.Merchant, r.Taken.Local().Format("2006-01-02 15:04"))
	s.sayJournal(r.Manifest)
	s.sayFiles(r.Manifest)
	if r.Replaced > 0 {
		s.say(app.MsgCLIBackupReplaced, r.Replaced)
	}
	s.say(app.MsgCLIBackupOneDesk, r.Terminal)
	return 0
}

// restoreSentence says why a restore did not happen.
func (s *speaker) restoreSentence(err error, from, dir string) string {
	var occupied *desk.OccupiedError
	var newer *desk.NewerBackupError
	var broken *desk.BrokenBackupError
	switch {
	case errors.As(err, &newer):
		return s.t(app.MsgCLIBackupNewerBackup, newer.Schema)
	case errors.As(err, &broken) && broken.Break.Seq == 0:
		return s.t(app.MsgCLIBackupBrokenBackupRecords)
	case errors.As(err, &broken):
		return s.t(app.MsgCLIBackupBrokenBackup, broken.Break.Seq)
	case errors.As(err, &occupied) && occupied.Err != nil:
		return s.t(app.MsgCLIBackupOccupiedBroken, dir)
	case errors.As(err, &occupied):
		return s.t(app.MsgCLIBackupOccupied, dir, occupied.Entries)
	case errors.Is(err, desk.ErrDeskInUse):
		return s.t(app.MsgCLIBackupInUse, dir)
	case errors.Is(err, desk.ErrNotBackup):
		return s.t(app.MsgCLIBackupNotBackup, from)
	case errors.Is(err, os.ErrNotExist), errors.Is(err, os.ErrPermission):
		return s.t(app.MsgCLIBackupCannotRead, from)
	}
	return explain(err, s.lang)
}

// sayJournal says what the journal in a backup holds.
func (s *speaker) sayJournal(m desk.Manifest) {
	if m.Entries == 0 {
		s.say(app.MsgCLIBackupJournalEmpty)
		return
	}
	s.say(app.MsgCLIBackupJournal, m.Entries, m.LastSeq)
}

// sayFiles names the files a backup holds beside the database.
func (s *speaker) sayFiles(m desk.Manifest) {
	names := m.Names()
	if len(names) == 0 {
		s.say(app.MsgCLIBackupNoFiles)
		return
	}
	sep := ", "
	if s.lang == app.SimplifiedChinese {
		sep = "、"
	}
	s.say(app.MsgCLIBackupFiles, strings.Join(names, sep))
}

func summaryJSON(m desk.Manifest, brk *app.ChainBreak) backupJSON {
	j := backupJSON{Entries: m.Entries, LastSeq: m.LastSeq, Schema: m.Schema, Terminal: m.Terminal, Merchant: m.Merchant,
		Taken: m.Taken, Files: m.Names(), Chain: "intact"}
	if j.Files == nil {
		j.Files = []string{}
	}
	if brk != nil {
		j.Chain, j.Break = "broken", &breakJSON{Seq: brk.Seq, Reason: brk.Reason}
	}
	return j
}

func printJSON(w io.Writer, v any) {
	b, _ := json.Marshal(v) // plain fields: cannot fail
	fmt.Fprintln(w, string(b))
}

// fileSize is a size as a file manager shows it.
func fileSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KB", "MB", "GB", "TB"}[i])
}
