package pgstore

import (
	"net/url"
	"regexp"
	"strings"
)

// passwordParam is a password in a key=value DSN or a URL's query, quoted
// or not.
var passwordParam = regexp.MustCompile(`(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&]*)`)

// Redacted is dsn with any password in it replaced by xxxxx, for logs and
// messages: a password given in the URL's user part, as a password=
// parameter of its query, or in a key=value string.
func Redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		dsn = u.Redacted()
	} else if strings.Contains(dsn, "://") {
		// Not a URL Go can read, yet it may hold one: say nothing of it.
		return "(a PostgreSQL URL that cannot be read)"
	}
	return passwordParam.ReplaceAllString(dsn, "${1}xxxxx")
}
