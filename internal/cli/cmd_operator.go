package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

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
		admin, err := authorise(ctx, d, *by, stdin, stderr)
		if err != nil {
			return fail(err)
		}
		pin, err := readLine(stdin)
		if err != nil {
			return fail(fmt.Errorf("reading the new PIN: %w", err))
		}
		if args[0] == "add" {
			r := app.Role(*role)
			if !r.Valid() {
				return fail(fmt.Errorf("role %q: use cashier, supervisor, teller or admin", *role))
			}
			if admin == "" && r != app.RoleAdmin {
				return fail(fmt.Errorf("the first operator of a desk must be an admin"))
			}
			if err := d.DB.AddOperator(ctx, app.Operator{ID: *id, Name: *name, Role: r, Created: time.Now()}, pin); err != nil {
				return fail(err)
			}
			audit(ctx, d, admin, fmt.Sprintf("added operator %s (%s)", *id, r))
			fmt.Fprintf(stdout, "operator %s added as %s\n", *id, r)
			return 0
		}
		if err := d.DB.SetPIN(ctx, *id, pin); err != nil {
			return fail(err)
		}
		audit(ctx, d, admin, fmt.Sprintf("changed the PIN of %s (unlocked)", *id))
		fmt.Fprintf(stdout, "PIN of %s changed\n", *id)
		return 0
	}
	fmt.Fprintln(stderr, operatorUsage)
	return exitError
}

// authorise checks the admin's PIN, unless the desk has no operator yet.
// It returns the admin's id, or "" for a desk's very first operator.
func authorise(ctx context.Context, d *desk.Desk, by string, stdin io.Reader, stderr io.Writer) (string, error) {
	ops, err := d.DB.Operators(ctx)
	if err != nil {
		return "", err
	}
	if len(ops) == 0 {
		return "", nil
	}
	if by == "" {
		return "", fmt.Errorf("an admin must authorise this: add --by ADMIN")
	}
	op, err := signIn(ctx, d, by, stdin, stderr)
	if err != nil {
		return "", err
	}
	if !op.Role.Can(app.RoleAdmin) {
		return "", fmt.Errorf("%s is a %s: %w", by, op.Role, app.ErrRole)
	}
	return op.ID, nil
}

func audit(ctx context.Context, d *desk.Desk, who, detail string) {
	if who == "" {
		who = "system"
	}
	_ = d.DB.Record(ctx, app.AuditEvent{At: time.Now(), Operator: who, Action: app.AuditOperator, Detail: detail})
}
