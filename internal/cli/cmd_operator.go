package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"lingqian/app"
	"lingqian/desk"
)

// operatorFlags are the flags of every operator subcommand; each takes
// those it needs.
type operatorFlags struct {
	data, id, name, role, by *string
	roleGiven                bool
}

func operator(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian operator", args, stdout, stderr)
	if len(args) == 0 {
		return s.refuse(app.MsgCLIOperatorUsage)
	}
	// The subcommand is known before the desk opens: a mistyped one
	// touches no data folder.
	switch args[0] {
	case "-h", "--h", "-help", "--help":
		s.say(app.MsgCLIOperatorUsage)
		return 0
	case "list", "add", "passwd", "role", "lock", "unlock":
	default:
		return s.refuse(app.MsgCLIOperatorUsage)
	}
	sub := args[0]
	fs := flag.NewFlagSet("operator "+sub, flag.ContinueOnError)
	f := operatorFlags{
		data: fs.String("data", "", "the desk's data folder"),
		id:   fs.String("id", "", "operator's login name"),
		name: fs.String("name", "", "operator's full name"),
		role: fs.String("role", "cashier", "cashier, supervisor, teller or admin"),
		by:   fs.String("by", "", "the admin authorising the change (PIN from standard input)"),
	}
	langFlag(fs)
	s.name = "lingqian operator " + sub
	if !s.parse(fs, args[1:]) {
		return exitError
	}
	if fs.NArg() > 0 {
		return s.refuse(app.MsgCLIUnexpected, fs.Args())
	}
	fs.Visit(func(fl *flag.Flag) { f.roleGiven = f.roleGiven || fl.Name == "role" })
	d, err := s.openDesk(ctx, *f.data)
	if err != nil {
		return exitError
	}
	defer d.Close()

	switch sub {
	case "list":
		return operatorList(ctx, s, d)
	case "add", "passwd":
		return operatorAddOrPasswd(ctx, s, d, sub, f, stdin)
	}
	return operatorChange(ctx, s, d, sub, f, stdin)
}

// operatorList prints the operators, their roles and whether they can
// sign in.
func operatorList(ctx context.Context, s *speaker, d *desk.Desk) int {
	ops, err := d.DB.Operators(ctx)
	if err != nil {
		return s.failErr(err)
	}
	rows := [][]string{strings.Split(s.t(app.MsgCLIOperatorHeading), "\t")}
	for _, o := range ops {
		state := s.t(app.MsgCLIOperatorActive)
		if o.Locked {
			state = s.t(app.MsgCLIOperatorLocked)
		}
		rows = append(rows, []string{o.ID, o.Name, app.RoleText(o.Role, s.lang), state})
	}
	writeColumns(s.stdout, rows)
	return 0
}

// operatorAddOrPasswd adds an operator or gives one a new PIN: the
// admin's PIN first, then the new one, from standard input.
func operatorAddOrPasswd(ctx context.Context, s *speaker, d *desk.Desk, sub string, f operatorFlags, stdin io.Reader) int {
	if *f.id == "" {
		return s.refuse(app.MsgCLIOperatorNeedsID)
	}
	r := app.Role(*f.role)
	if sub == "add" && !r.Valid() {
		return s.refuse(app.MsgCLIOperatorBadRole, *f.role)
	}
	staff := &app.Staff{Store: d.DB, Audit: d.DB}
	admin, err := authorise(ctx, d, staff, *f.by, stdin, s.stderr, s.lang)
	if errors.Is(err, errNeedsAdmin) {
		return s.refuse(app.MsgCLIOperatorNeedsAdmin)
	}
	if err != nil {
		return s.failErr(err)
	}
	pin, err := readPIN(*f.id, stdin, s.stderr, s.lang)
	if err != nil {
		return s.fail(s.t(app.MsgCLIOperatorNoNewPIN), fmt.Errorf("reading the new PIN: %w", err))
	}
	if sub == "add" {
		if err := staff.Add(ctx, admin, app.Operator{ID: *f.id, Name: *f.name, Role: r}, pin); err != nil {
			return s.failErr(err)
		}
		s.say(app.MsgCLIOperatorAdded, *f.id, app.RoleText(r, s.lang))
		return 0
	}
	err = staff.SetPIN(ctx, admin, *f.id, pin)
	if errors.Is(err, app.ErrNotFound) {
		return s.fail(s.t(app.MsgCLIOperatorUnknown, *f.id), err)
	}
	if err != nil {
		return s.failErr(err)
	}
	s.say(app.MsgCLIOperatorPINChanged, *f.id)
	return 0
}

// errNeedsAdmin: a change to the operators with no admin named to allow it.
var errNeedsAdmin = errors.New("an admin must authorise this: add --by ADMIN")

// authorise checks the admin's PIN, unless the desk has no operator yet.
// It returns the admin, or nil for a desk's very first operator.
func authorise(ctx context.Context, d *desk.Desk, staff *app.Staff, by string, stdin io.Reader, stderr io.Writer, lang string) (*app.Operator, error) {
	first, err := staff.NeedsFirstAdmin(ctx)
	if err != nil || first {
		return nil, err
	}
	if by == "" {
		return nil, errNeedsAdmin
	}
	pin, err := readPIN(by, stdin, stderr, lang)
	if err != nil {
		return nil, err
	}
	op, err := staff.Authorise(ctx, by, pin, app.RoleAdmin)
	if err != nil {
		return nil, err
	}
	return &op, nil
}

// writeColumns lines rows up in columns two spaces apart, as tabwriter
// does, but by the columns each character takes on a terminal: a Chinese
// character takes two.
func writeColumns(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, row := range rows {
		for i, cell := range row[:max(len(row)-1, 0)] {
			widths[i] = max(widths[i], width(cell)+2)
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			if i < len(row)-1 {
				cell = pad(cell, widths[i])
			}
			b.WriteString(cell)
		}
		fmt.Fprintln(w, b.String())
	}
}
