package bank

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestBatchTx_ClearsExactlyAsOneStatementPerQuestion(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			// Given two copies of a bank with a few small wallets
			plain, setBased := copyBank(t, writerBank(t, t.TempDir(), wallets, 6000), t.TempDir())
			g := &batchGen{rng: rand.New(rand.NewPCG(seed, 1)), nextATC: map[int]uint16{}, phoneAC: map[ATCSlot]byte{},
				counts: map[string]int{}}
			for n := range 30 {
				// And, between batches, what phones and tellers do to both
				g.between(t, n, plain, setBased)

				// When the same random batch is cleared one statement per
				// question on one, and set-based on the other, from a desk
				// that held the whole hotlist or none of it
				preps := g.batch(40)
				v := int64(0)
				if g.rng.IntN(2) == 0 {
					v = math.MaxInt64
				}
				want, errPlain := plain.clearPlainAt(t, preps, v)
				got, errSet := setBased.clearSetBasedAt(t, preps, v)

				// Then the answers and every row of both banks are the same
				if errPlain != nil || errSet != nil {
					t.Fatalf("batch %d: errors %v and %v", n, errPlain, errSet)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("batch %d: answers differ:\nset-based %+v\nplain     %+v", n, got, want)
				}
				for _, r := range want {
					g.counts[r.State]++
					g.counts[r.Reason]++
				}
				sameRows(t, n, setBased.dump(t), plain.dump(t))
			}
			// And the books balance, on a ledger that moved, the loss
			// account too: copies of wallets spent past what was loaded
			for _, b := range []*Bank{plain, setBased} {
				if err := b.Ledger().Balanced(context.Background()); err != nil {
					t.Fatal(err)
				}
				if loss, err := b.Ledger().Balance(context.Background(), LossAccount); err != nil || loss <= 0 {
					t.Errorf("loss account %d (%v)", loss, err)
				}
			}
			if g.counts[ReasonVoided] == 0 || g.counts[ReasonHotlisted] == 0 || g.counts[ReasonReplayed] == 0 || g.counts["posted"] == 0 {
				t.Errorf("the batches did not reach every rule: %v", g.counts)
			}
		})
	}
}

func sameRows(t *testing.T, batch int, got, want map[string][]string) {
	t.Helper()
	for table, rows := range want {
		if len(got[table]) != len(rows) {
			t.Fatalf("batch %d: %s has %d rows, want %d", batch, table, len(got[table]), len(rows))
		}
		for i := range rows {
			if got[table][i] != rows[i] {
				t.Fatalf("batch %d: %s row %d:\nset-based %s\nplain     %s", batch, table, i, got[table][i], rows[i])
			}
		}
	}
}

// wallets is how many the random batches spend from.
const wallets = 8

// batchGen makes batches of a desk's messages in which every rule of
// clearing comes up: keys and seqs sent twice, clones on a slot, voids
// before, after and without their purchase, spending past the balance,
// refused and malformed messages.
type batchGen struct {
	rng     *rand.Rand
	seq     int64
	nextATC map[int]uint16
	past    []*prepared      // every message made so far
	waiting []*prepared      // purchases whose void was sent first
	phoneAC map[ATCSlot]byte // the AC a phone uploaded for a slot
	counts  map[string]int   // what the plain bank answered, for coverage
}

func (g *batchGen) batch(n int) []*prepared {
	var out []*prepared
	for len(out) < n {
		out = append(out, g.message(out)...)
	}
	g.past = append(g.past, out...)
	return out
}

func (g *batchGen) fresh(wallet int) *prepared {
	g.seq++
	atc := g.nextATC[wallet]
	g.nextATC[wallet]++
	ac := byte(g.rng.IntN(256))
	if phone, ok := g.phoneAC[ATCSlot{writerPAN(wallet), "00", atc}]; ok && g.rng.IntN(10) < 7 {
		ac = phone
	}
	return verified(KindPurchase, g.seq, 0, g.key(), wallet, atc, 1+g.rng.Int64N(250), ac)
}

func (g *batchGen) key() string { return fmt.Sprintf("T0000001-%d-%x", g.seq, g.rng.Uint32()) }

// pastPurchase is a purchase made before, in this batch or an earlier one.
func (g *batchGen) pastPurchase(batch []*prepared) *prepared {
	all := append(g.past[:len(g.past):len(g.past)], batch...)
	for range min(len(all), 10) {
		if p := all[g.rng.IntN(len(all))]; p.keyed && p.msg.Kind == KindPurchase && p.msg.PAN != "" && p.reason != ReasonUnknownWallet {
			return p
		}
	}
	return nil
}

func (g *batchGen) message(batch []*prepared) []*prepared {
	r := g.rng.IntN(100)
	old := g.pastPurchase(batch)
	if old == nil {
		r = 0
	}
	switch {
	case r < 40:
		return []*prepared{g.fresh(g.rng.IntN(wallets))}
	case r < 47:
		if len(g.waiting) == 0 {
			return []*prepared{g.fresh(g.rng.IntN(wallets))}
		}
		p := g.waiting[0]
		g.waiting = g.waiting[1:]
		return []*prepared{p}
	case r < 52: // the same key again, under another seq
		g.seq++
		p := *old
		p.wire = &WireMessage{Key: old.wire.Key, Seq: g.seq, Kind: old.wire.Kind}
		p.msg.Seq = g.seq
		return []*prepared{&p}
	case r < 57: // the same seq under another key, the same card or not
		p := *old
		if g.rng.IntN(2) == 0 {
			p = *g.fresh(g.rng.IntN(wallets))
			p.msg.Seq = old.msg.Seq
		}
		p.msg.Key = fmt.Sprintf("again-%x", g.rng.Uint32())
		p.wire = &WireMessage{Key: p.msg.Key, Seq: old.msg.Seq, Kind: p.msg.Kind}
		return []*prepared{&p}
	case r < 60: // another cryptogram on a spent slot, or the same one replayed
		g.seq++
		p := verified(KindPurchase, g.seq, 0, g.key(), 0, old.msg.ATC, old.msg.Amount, byte(g.rng.IntN(256)))
		p.msg.PAN = old.msg.PAN
		if g.rng.IntN(3) == 0 {
			p.msg.AC = old.msg.AC
		}
		return []*prepared{p}
	case r < 66: // a void of a purchase received, sometimes not repeating it
		return []*prepared{g.void(old, g.rng.IntN(4) == 0)}
	case r < 72: // a void before its purchase, which follows later
		p := g.fresh(g.rng.IntN(wallets))
		g.waiting = append(g.waiting, p)
		return []*prepared{g.void(p, g.rng.IntN(6) == 0)}
	case r < 77: // a purchase and its void, in the same batch
		p := g.fresh(g.rng.IntN(wallets))
		return []*prepared{p, g.void(p, g.rng.IntN(6) == 0)}
	case r < 80: // a refused purchase whose void waits
		p := g.fresh(g.rng.IntN(wallets))
		p.reason = ReasonBadCryptogram
		g.waiting = append(g.waiting, p)
		return []*prepared{g.void(p, false)}
	case r < 84: // malformed: kept, refused
		g.seq++
		p := verified([]string{KindPurchase, KindVoid, ""}[g.rng.IntN(3)], g.seq, old.msg.Seq, g.key(), 0, 0, 0, 0)
		p.invalid = errors.New("amount: want 1 to 999999999999 fen")
		p.msg.PAN, p.msg.State, p.msg.Reason = "", StateRejected, ReasonInvalid
		return []*prepared{p}
	case r < 89:
		p := g.fresh(g.rng.IntN(wallets))
		p.reason = []string{ReasonBadCryptogram, ReasonBadSignature, ReasonAmountMismatch}[g.rng.IntN(3)]
		return []*prepared{p}
	case r < 92:
		p := g.fresh(g.rng.IntN(wallets))
		p.msg.MerchantID = "M999"
		return []*prepared{p}
	case r < 95:
		g.seq++
		p := verified(KindPurchase, g.seq, 0, g.key(), 99, 1, 100, 1)
		p.reason = ReasonUnknownWallet
		return []*prepared{p}
	default:
		return []*prepared{{wire: &WireMessage{Key: "", Seq: 0}}}
	}
}

func (g *batchGen) void(p *prepared, mismatch bool) *prepared {
	g.seq++
	v := verified(KindVoid, g.seq, p.msg.Seq, g.key(), 0, p.msg.ATC, p.msg.Amount, p.msg.AC[0])
	v.msg.PAN, v.msg.AC = p.msg.PAN, p.msg.AC
	if mismatch {
		v.msg.ATC++
	}
	return v
}

// between does to both banks what phones and tellers do between batches:
// uploads of purchase records, some of another cryptogram, and once a
// teller's hotlisting.
func (g *batchGen) between(t *testing.T, n int, banks ...*Bank) {
	t.Helper()
	ctx := context.Background()
	wallet := g.rng.IntN(wallets)
	slot := ATCSlot{writerPAN(wallet), "00", g.nextATC[wallet] + uint16(g.rng.IntN(3))}
	_, taken := g.phoneAC[slot]
	ac := byte(g.rng.IntN(256))
	for _, b := range banks {
		if !taken {
			err := b.store.Write(ctx, func(tx Tx) error {
				return tx.InsertPhoneRecord(PhoneRecord{PAN: slot.PAN, PSN: slot.PSN, ATC: slot.ATC, Amount: 10, Currency: "156",
					Date: "2026-03-01", Merchant: "M001", AC: []byte{ac, 1, 2, 3, 4, 5, 6, 7}, Entry: []byte("{}"), Uploaded: writerNow})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if n == 12 {
			if _, err := b.Hotlist(ctx, writerPAN(wallets-1), "lost phone"); err != nil {
				t.Fatal(err)
			}
		}
	}
	g.phoneAC[slot] = ac
}

// BenchmarkBatch_Writer measures what the single writer spends on a full
// batch of purchases that post, one statement per question against
// set-based, without the network and the cryptography around it.
func BenchmarkBatch_Writer(b *testing.B) {
	modes := []struct {
		name  string
		clear func(*Bank, testing.TB, []*prepared) ([]Result, error)
	}{
		{"per_question", (*Bank).clearPlain},
		{"set_based", (*Bank).clearSetBased},
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			const spenders = 10
			bk := writerBank(b, b.TempDir(), spenders, writerLoad)
			var seq int64
			batch := func() []*prepared {
				out := make([]*prepared, 0, MaxBatch)
				for len(out) < MaxBatch {
					seq++
					w := int(seq % spenders)
					out = append(out, verified(KindPurchase, seq, 0, fmt.Sprintf("T0000001-%d-bench", seq), w, uint16(seq/spenders), 100, byte(seq)))
				}
				return out
			}
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				preps := batch()
				b.StartTimer()
				res, err := mode.clear(bk, b, preps)
				if err != nil {
					b.Fatal(err)
				}
				if last := res[len(res)-1]; last.State != string(StatePosted) {
					b.Fatalf("the last purchase: %+v", last)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*MaxBatch), "µs/msg")
		})
	}
}
