// Package sync is the desk's link to the bank (docs/bank-api.md): it
// forwards the journal's detail messages in batches over mutual TLS,
// records the bank's answers in the outbox timelines, pulls the
// reconciliation feed and compares it with the journal, and keeps the CA
// public keys and the hotlist the bank publishes. Forwarder does all of it
// in the background for the desk's window; `lingqian sync` runs it once.
//
// Every POST carries an Idempotency-Key fixed before its first attempt and
// a body encoded once, so any retry — by resty after a transport failure,
// a 429 or a 5xx, or by a later pass after the desk was switched off — is
// the same request, and the bank posts each message once.
//
// The package name shadows the standard library's; import it under
// another name, e.g. desksync "lingqian/sync".
package sync
