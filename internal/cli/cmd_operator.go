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

func operator(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	s := newSpeaker("lingqian operator", args, stdout, stderr)
	if len(args) == 0 {
		return s.refuse(app.MsgCLIOperatorUsage)
	}
	fs := flag.NewFlagSet("operator "+args[0], flag.ContinueOnError)
	dataDir := fs.String("data", "", "the desk's data folder")
	id := fs.String("id", "", "operator's login name")
	name := fs.String("name", "", "operator's full name")
	role := fs.String("role", "cashier", "cashier, supervisor, teller or admin")
	by := fs.String("by", "", "the admin authorising the change")
	langFlag(fs)
	if !s.parse(fs, args[1:]) {
		return exitError
	}
	d, err := s.openDesk(ctx, *dataDir)
	if err != nil {
		return exitError
	}
	defer d.Close()
	s.name = "lingqian operator " + args[0]

	switch args[0] {
	case "list":
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
		writeColumns(stdout, rows)
		return 0
	case "add", "passwd":
		if *id == "" {
			return s.refuse(app.MsgCLIOperatorNeedsID)
		}
		staff := &app.Staff{Store: d.DB, Audit: d.DB}
		admin, err := authorise(ctx, d, staff, *by, stdin, stderr, s.lang)
		if errors.Is(err, errNeedsAdmin) {
			return s.refuse(app.MsgCLIOperatorNeedsAdmin)
		}
		if err != nil {
			return s.failErr(err)
		}
		pin, err := readLine(stdin)
		if err != nil {
			return s.fail(s.t(app.MsgCLIOperatorNoNewPIN), fmt.Errorf("reading the new PIN: %w", err))
		}
		if args[0] == "add" {
			r := app.Role(*role)
			if err := staff.Add(ctx, admin, app.Operator{ID: *id, Name: *name, Role: r}, pin); err != nil {
				return s.failErr(err)
			}
			s.say(app.MsgCLIOperatorAdded, *id, app.RoleText(r, s.lang))
			return 0
		}
		err = staff.SetPIN(ctx, admin, *id, pin)
		if errors.Is(err, app.ErrNotFound) {
			return s.fail(s.t(app.MsgCLIOperatorUnknown, *id), err)
		}
		if err != nil {
			return s.failErr(err)
		}
		s.say(app.MsgCLIOperatorPINChanged, *id)
		return 0
	}
	s.name = "lingqian operator"
	return s.refuse(app.MsgCLIOperatorUsage)
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
