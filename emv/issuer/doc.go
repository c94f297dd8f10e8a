// Package issuer is the issuer side of EMV symmetric cryptography: the bank
// and the phone's wallet both import it, so a cryptogram the wallet makes is
// recomputed by the bank with the same code and cannot drift.
//
// It covers EMV 4.4 Book 2 Annex A1.3/A1.4 key derivation (ICC master keys
// by option A and B, the common session key, Visa's secure-messaging key),
// ISO/IEC 9797-1 MAC algorithm 3 with padding methods 1 and 2, application
// cryptograms, ARPC methods 1 and 2, the issuer script MAC (Book 2 9.2) and
// the Visa CVN 10 and CVN 18 recipes, whose published vectors pin the
// primitives down end to end.
//
// Keys are double-length (16-byte) 3DES keys K1||K2, used as K1,K2,K1.
// Parity bits are ignored on input, as DES ignores them; derived keys are
// returned with odd parity so they load into an HSM unchanged.
//
// Every function checks its inputs and returns an error wrapping one of the
// Err values below instead of panicking: the bank feeds it data that came
// from desks and phones it does not trust.
package issuer
