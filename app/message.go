package app

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"lingqian/assets"
	"lingqian/emv"
)

// Message is a sentence shown to a person at the desk. Its value is a
// stable key; Text gives it in the desk's language.
type Message string

// Languages the desk speaks, as BCP 47 tags.
const (
	English           = "en"
	SimplifiedChinese = "zh-Hans"
)

// Text gives the message in the language asked for, falling back to
// English, and to the key itself if a translation is missing.
func (m Message) Text(lang string) string {
	t := translations()
	if s, ok := t[lang][string(m)]; ok {
		return s
	}
	if s, ok := t[English][string(m)]; ok {
		return s
	}
	return string(m)
}

// translations are the texts of assets/lang, read once. A file that does
// not parse is a fault of the build, which a test catches; the desk then
// shows keys rather than stopping.
var translations = sync.OnceValue(func() map[string]map[string]string {
	t, err := assets.Translations()
	if err != nil {
		return map[string]map[string]string{}
	}
	return t
})

// TranslationsError says whether the translation files read cleanly.
func TranslationsError() error {
	_, err := assets.Translations()
	return err
}

// Textf fills the message's verbs (fmt) with args.
func (m Message) Textf(lang string, args ...any) string { return fmt.Sprintf(m.Text(lang), args...) }

// ReasonText is a kernel's reason in the desk's language.
func ReasonText(r emv.Reason, lang string) string {
	if s, ok := translations()[lang]["reason."+r.Code]; ok {
		return s
	}
	if r.Text != "" {
		return r.Text
	}
	return r.Code
}

// Explain turns an error of the desk's use cases into a sentence for the
// person at the desk; the details stay in the error, for the log.
func Explain(err error, lang string) string {
	var limit *LimitError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &limit):
		return MsgOverLimit.Textf(lang, limitText(limit, lang))
	case errors.Is(err, ErrLocked):
		return MsgLocked.Text(lang)
	case errors.Is(err, ErrWrongPIN):
		return MsgWrongPIN.Text(lang)
	case errors.Is(err, ErrRole):
		return MsgNotAllowed.Text(lang)
	case errors.Is(err, ErrFirstAdmin):
		return MsgFirstAdmin.Text(lang)
	case errors.Is(err, ErrBadPIN):
		return MsgBadPIN.Text(lang)
	case errors.Is(err, ErrNotVoidable):
		return MsgNotVoidable.Text(lang)
	case errors.Is(err, context.Canceled):
		return ReasonText(emv.ReasonCancelled, lang)
	case errors.Is(err, context.DeadlineExceeded):
		return MsgNoPhone.Text(lang)
	case errors.Is(err, ErrNoReader):
		return MsgNoReader.Text(lang)
	case errors.Is(err, ErrNotEnrolled):
		return MsgNoBank.Text(lang)
	}
	return MsgSomethingWrong.Text(lang)
}

// limitText is a limit refusal in the desk's language.
func limitText(l *LimitError, lang string) string {
	if lang == English {
		return l.Text
	}
	if m, ok := limitMessages[l.Limit]; ok {
		return m.Text(lang)
	}
	return l.Text
}

// ErrNoReader says the card reader service or every reader is gone.
var ErrNoReader = errors.New("no card reader")

var limitMessages = map[string]Message{
	"per_purchase":   MsgLimitPerPurchase,
	"pending_amount": MsgLimitPendingAmount,
	"pending_count":  MsgLimitPendingCount,
	"oldest_pending": MsgLimitOldest,
}

// AllMessages lists every key of the translation files.
func AllMessages() []Message {
	seen := map[Message]bool{}
	var out []Message
	for _, table := range translations() {
		for k := range table {
			if m := Message(k); !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// HasText says whether a key has its own text in lang.
func HasText(m Message, lang string) bool {
	_, ok := translations()[lang][string(m)]
	return ok
}

// RoleText is a role's name in the desk's language.
func RoleText(r Role, lang string) string {
	m := map[Role]Message{RoleCashier: MsgRoleCashier, RoleSupervisor: MsgRoleSupervisor, RoleTeller: MsgRoleTeller, RoleAdmin: MsgRoleAdmin}[r]
	if m == "" {
		return string(r)
	}
	return m.Text(lang)
}
