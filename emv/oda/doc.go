// Package oda is offline data authentication with RSA and SHA-1 as EMV 4.4
// Book 2 (sections 5 and 6) and PBOC 3.0 define it, from both ends:
//
//   - the terminal recovers the issuer and ICC public key certificates and
//     checks them, and verifies signed static and dynamic application data
//     (SDA, DDA, CDA);
//   - the issuer (the bank, or a local test issuer) and the card (the phone's
//     wallet) generate RSA keys with exponent 3 or 65537 and sign
//     certificates and dynamic data.
//
// It also holds the terminal's certification authority public keys (CAPK)
// in a Store, and reads and writes them in the desk's JSON key file format.
//
// A terminal's CDA chain, in the order Book 2 runs it:
//
//	capk, err := store.Lookup(rid, tag8F, txnDate)                  // ErrUnknownCAPK, ErrCAPKExpired
//	issuer, err := oda.RecoverIssuerCert(capk.Public(), tag90, tag92, tag9F32)
//	err = issuer.Check(tag5A, txnDate)                              // issuer id, expiry
//	icc, err := oda.RecoverICCCert(issuer.Key, tag9F46, tag9F48, tag9F47, staticData)
//	err = icc.Check(tag5A, txnDate)                                 // PAN, expiry
//	// ... GENERATE AC ...
//	hashed, sdad, err := oda.SplitGenerateACResponse(template77)
//	tdhc := oda.TransactionDataHash(pdolData, cdol1Data, hashed)
//	cda, err := oda.VerifyCDA(icc.Key, sdad, tag9F37, tag9F27, tdhc)
//
// The package is pure: no I/O and no global state. Every check that can
// fail returns an error matching one of the sentinel errors with errors.Is;
// certificate and signature checks return a *CheckError that also says which
// check failed and what was seen. No input, however hostile, makes it panic.
package oda
