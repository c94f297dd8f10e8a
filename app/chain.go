package app

// The desk's hash chains, which the bank anchors: each batch names the
// head of each, and the bank refuses a desk whose chain no longer runs
// through a head it acknowledged before.
const (
	ChainJournal = "journal" // the journal, by entry seq
	ChainAudit   = "audit"   // the audit log, by row id
)

// ChainHead is where one of the desk's chains ends: its last link's
// number and hash. An empty chain has Seq 0 and no Hash.
type ChainHead struct {
	Name string
	Seq  int64
	Hash []byte
}
