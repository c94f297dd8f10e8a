package cli

import (
	"fmt"
	"strings"

	"lingqian/app"
)

// tellerUsageLines are the teller's commands.
var tellerUsageLines = []usageLine{
	{"load --amount 100.00 [--reader NAME] [--timeout 30s]", app.MsgCLITellerUsageLoad},
	{"unload --pan PAN [--psn NN] --amount A (--customer-signs | --approver ID)", app.MsgCLITellerUsageUnload},
	{"lookup [--pan PAN]", app.MsgCLITellerUsageLookup},
	{"statement --pan PAN [--psn NN]", app.MsgCLITellerUsageStatement},
	{"hotlist --pan PAN --reason TEXT", app.MsgCLITellerUsageHotlist},
	{"exceptions [--state open|resolved|all] [--resolve ID --note TEXT]", app.MsgCLITellerUsageExceptions},
	{"reentry --note TEXT", app.MsgCLITellerUsageReentry},
}

const tellerUsageColumn = 26

// tellerUsage is the teller's usage in lang.
func tellerUsage(lang string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s lingqian teller COMMAND --operator ID [--data DIR] [--json] [--lang en|zh-Hans] …\n",
		app.MsgCLIUsageHeading.Text(lang))
	writeUsage(&b, tellerUsageLines, tellerUsageColumn, lang)
	b.WriteString(app.MsgCLITellerUsageFooter.Text(lang) + "\n")
	return b.String()
}

// inputError is a mistake in what the teller typed, said in their language;
// cause, if any, is what the program found, for the log.
type inputError struct {
	m     app.Message
	args  []any
	cause error
}

func (e inputError) Error() string         { return e.m.Textf(app.English, e.args...) }
func (e inputError) In(lang string) string { return e.m.Textf(lang, e.args...) }

func badInput(m app.Message, args ...any) error { return inputError{m: m, args: args} }
