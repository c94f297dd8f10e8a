package cli

import (
	"bufio"
	"context"
	"encoding/hex"
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

// Exit codes of `lingqian charge` (DESIGN section 7).
const (
	exitApproved = 0
	exitError    = 2
	exitDeclined = 3
)

// chargeJSON is the contract of `lingqian charge --json`.
type chargeJSON struct {
	Outcome    string `json:"outcome"` // approved | declined
	Reason     string `json:"reason"`
	ReasonCode string `json:"reason_code"`
	Amount     int64  `json:"amount"`
	Currency   string `json:"currency"`
	Seq        int64  `json:"seq,omitempty"`
	PAN        string `json:"pan,omitempty"`
	ATC        int    `json:"atc,omitempty"`
	CID        string `json:"cid,omitempty"`
	TVR        string `json:"tvr"`
	Recovered  bool   `json:"recovered,omitempty"`
}

func charge(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("charge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	amountText := fs.String("amount", "", "amount in yuan, e.g. 12.50")
	readerName := fs.String("reader", "", "card reader to use (default: the first card presented on any reader)")
	capk := fs.String("capk", "", "extra CA public key file (JSON)")
	dataDir := fs.String("data", "", "the desk's data folder")
	asJSON := fs.Bool("json", false, "print the outcome as JSON")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the phone")
	cashier := fs.String("cashier", "cli", "who is charging, for the journal")
	supervisor := fs.String("supervisor", "", "supervisor allowing a sale past an offline limit (PIN read from standard input)")
	if err := fs.Parse(args); err != nil {
		return exitError
	}
	amount, err := app.ParseMoney(*amountText)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian charge: %v\n", err)
		return exitError
	}
	d, err := desk.Open(ctx, *dataDir)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian charge: %v\n", err)
		return exitError
	}
	defer d.Close()

	sale := app.Sale{Amount: amount, Cashier: app.Operator{ID: *cashier, Role: app.RoleCashier}}
	if *supervisor != "" {
		op, err := signIn(ctx, d, *supervisor, stdin, stderr)
		if err != nil {
			fmt.Fprintf(stderr, "lingqian charge: %v\n", err)
			return exitError
		}
		sale.Override = &op
	}
	co, closeReader, err := d.Checkout(ctx, *readerName, *capk)
	if err != nil {
		fmt.Fprintf(stderr, "lingqian charge: %v\n", err)
		return exitError
	}
	defer closeReader()

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	res, err := co.Charge(ctx, sale)
	if err != nil {
		var limit *app.LimitError
		switch {
		case errors.As(err, &limit):
			fmt.Fprintf(stderr, "lingqian charge: not charged: %s\n", limit.Text)
			return exitDeclined
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(stderr, "lingqian charge: no phone was presented within %v; nothing was charged\n", *timeout)
		default:
			fmt.Fprintf(stderr, "lingqian charge: %v\n", err)
		}
		return exitError
	}
	return printOutcome(res, stdout, *asJSON)
}

func printOutcome(res app.Result, stdout io.Writer, asJSON bool) int {
	out := res.Outcome
	j := chargeJSON{Outcome: "declined", Reason: out.Reason.Text, ReasonCode: out.Reason.Code,
		Amount: out.Amount, Currency: out.Currency, TVR: hex.EncodeToString(out.TVR[:]), Recovered: out.Recovered != nil}
	if out.PAN != "" {
		j.PAN = app.MaskPAN(out.PAN)
	}
	if res.Approved() {
		j.Outcome, j.Seq, j.ATC, j.CID = "approved", res.Entry.Seq, int(out.ATC), fmt.Sprintf("%02X", out.CID)
	}
	if asJSON {
		b, _ := json.Marshal(j)
		fmt.Fprintln(stdout, string(b))
	} else {
		fmt.Fprintf(stdout, "%s: %s %s — %s\n", strings.ToUpper(j.Outcome), app.FormatMoney(app.Money(j.Amount)), "CNY", j.Reason)
		if res.Approved() {
			fmt.Fprintf(stdout, "journal entry %d, wallet %s, ATC %d\n", j.Seq, j.PAN, j.ATC)
		}
	}
	if res.Approved() {
		return exitApproved
	}
	return exitDeclined
}

// signIn reads an operator's PIN from the first line of stdin and checks it.
func signIn(ctx context.Context, d *desk.Desk, id string, stdin io.Reader, stderr io.Writer) (app.Operator, error) {
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		fmt.Fprintf(stderr, "PIN for %s: ", id)
	}
	pin, err := readLine(stdin)
	if err != nil {
		return app.Operator{}, fmt.Errorf("reading the PIN of %s: %w", id, err)
	}
	op, err := d.DB.Authenticate(ctx, id, pin)
	if err != nil {
		return app.Operator{}, fmt.Errorf("%s: %w", id, err)
	}
	return op, nil
}

// readLine reads one line. run hands commands a *bufio.Reader, so what
// follows the line stays buffered for the next call.
func readLine(r io.Reader) (string, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	line, err := br.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
