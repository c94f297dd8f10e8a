package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"lingqian/app"
	"lingqian/desk"
)

const operatorUsage = `usage:
  lingqian operator add --id ID --name NAME --role cashier|supervisor|teller|admin [--by ADMIN]
  lingqian operator list
  lingqian operator passwd --id ID [--by ADMIN]
PINs are read from standard input, one per line: the admin's first (with --by), then the new one.
The first operator of a desk must be an admin and needs no --by.`

func operator(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, operatorUsage)
		return exitError
	}
	fs := flag.NewFlagSet("operator "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", "", "the desk's data folder")
	id := fs.String("id", "", "operator's login name")
	name := fs.String("name", "", "operator's full name")
	role := fs.String("role", "cashier", "cashier, supervisor, teller or admin")
	by := fs.String("by", "", "the admin authorising the change")
	if err := fs.Parse(args[1:]); err != nil {
		return exitError
	}
	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian operator: %v\n", err)
		return exitError
	}
	defer d.Close()
	fail := func(err error) int {
		fmt.Fprintf(stderr, "lingqian operator %s: %v\n", args[0], err)
		return exitError
	}

	switch args[0] {
	case "list":
		ops, err := d.DB.Operators(ctx)
		if err != nil {
			return fail(err)
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tNAME\tROLE\tSTATE")
		for _, o := range ops {
			state := "active"
			if o.Locked {
				state = "locked"
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", o.ID, o.Name, o.Role, state)
		}
		w.Flush()
		return 0
	case "add", "passwd":
		staff := &app.Staff{Store: d.DB, Audit: d.DB}
		admin, err := authorise(ctx, d, staff, *by, stdin, stderr)
		if err != nil {
			return fail(err)
		}
		pin, err := readLine(stdin)
		if err != nil {
			return fail(fmt.Errorf("reading the new PIN: %w", err))
		}
		if args[0] == "add" {
			r := app.Role(*role)
			if err := staff.Add(ctx, admin, app.Operator{ID: *id, Name: *name, Role: r}, pin); err != nil {
				return fail(err)
			}
			fmt.Fprintf(stdout, "operator %s added as %s\n", *id, r)
			return 0
		}
		if err := staff.SetPIN(ctx, admin, *id, pin); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "PIN of %s changed\n", *id)
		return 0
	}
	fmt.Fprintln(stderr, operatorUsage)
	return exitError
}

// authorise checks the admin's PIN, unless the desk has no operator yet.
// It returns the admin, or nil for a desk's very first operator.
func authorise(ctx context.Context, d *desk.Desk, staff *app.Staff, by string, stdin io.Reader, stderr io.Writer) (*app.Operator, error) {
	first, err := staff.NeedsFirstAdmin(ctx)
	if err != nil || first {
		return nil, err
	}
	if by == "" {
		return nil, fmt.Errorf("an admin must authorise this: add --by ADMIN")
	}
	pin, err := readPIN(by, stdin, stderr)
	if err != nil {
		return nil, err
	}
	op, err := staff.Authorise(ctx, by, pin, app.RoleAdmin)
	if err != nil {
		return nil, err
	}
	return &op, nil
}
