package emv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"lingqian/emv/oda"
)

// replayCard answers each command with the answer a real card gave to the
// same command in a recorded trace (in turn, when the trace sent it more
// than once), and 6A88 to anything else.
type replayCard struct {
	answers map[string][][]byte
}

func loadTrace(t *testing.T, path string) *replayCard {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := &replayCard{answers: map[string][][]byte{}}
	var cmd string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "C: "):
			cmd = strings.TrimPrefix(line, "C: ")
		case strings.HasPrefix(line, "R: ") && cmd != "":
			r, err := hex.DecodeString(strings.TrimPrefix(line, "R: "))
			if err != nil {
				t.Fatal(err)
			}
			c.answers[cmd] = append(c.answers[cmd], r)
			cmd = ""
		}
	}
	return c
}

func (c *replayCard) Transmit(_ context.Context, cmd []byte) ([]byte, error) {
	key := strings.ToUpper(hex.EncodeToString(cmd))
	if strings.HasPrefix(key, "80A8") {
		key = key[:len(key)-2] // the trace's GPO carries no Le byte; ours does
	}
	queue := c.answers[key]
	if len(queue) == 0 {
		return []byte{0x6A, 0x88}, nil
	}
	c.answers[key] = queue[1:]
	return queue[0], nil
}

// emptyKeys is a CA key store that knows no key.
type emptyKeys struct{}

func (emptyKeys) Lookup([5]byte, byte, time.Time) (oda.CAPK, error) {
	return oda.CAPK{}, oda.ErrUnknownCAPK
}

func readHex(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStaticData_FromTheEmvptTrace(t *testing.T) {
	// Given the recorded card, and a desk that accepts its test AID
	card := loadTrace(t, "testdata/emvpt_dda_trace/apdu_trace.txt")
	// The trace reads the contact PSE's directory first; a contactless
	// kernel does not, so that answer (6A83 to READ RECORD 2 of SFI 1) goes.
	card.answers["00B2020C00"] = card.answers["00B2020C00"][1:]
	term := DefaultTerminal()
	term.AIDs = [][]byte{{0xAF, 0xFF, 0xFF, 0xFF, 0xFF, 0x12, 0x34}}
	term.Keys = emptyKeys{}
	k, err := NewKernel(term)
	if err != nil {
		t.Fatal(err)
	}
	s := k.newSession(card, Purchase{Amount: 100, At: time.Date(2020, 7, 24, 21, 1, 23, 0, time.UTC)})

	// When the kernel selects the application (the trace has no PPSE:
	// it falls back to its own list), initiates it and reads the AFL
	ctx := context.Background()
	if err := s.chooseApplication(ctx); err != nil {
		t.Fatalf("selection: %v", err)
	}
	if err := s.readRecords(ctx); err != nil {
		t.Fatalf("records: %v", err)
	}

	// Then the AIP and AFL are the trace's, and the static data to be
	// authenticated is exactly the expected bytes
	if want := readHex(t, "testdata/emvpt_dda_trace/tag82_aip.hex"); !bytes.Equal(s.aip, want) {
		t.Errorf("AIP %X, want %X", s.aip, want)
	}
	if want := readHex(t, "testdata/emvpt_dda_trace/tag94_afl.hex"); !bytes.Equal(s.data[0x94], want) {
		t.Errorf("AFL %X, want %X", s.data[0x94], want)
	}
	want := readHex(t, "testdata/emvpt_dda_trace/static_data_to_authenticate.hex")
	if !bytes.Equal(s.static, want) {
		t.Fatalf("static data\n got %X\nwant %X", s.static, want)
	}
	if s.staticBroken {
		t.Error("static data marked broken")
	}
	// And the T=0 conventions were followed: 61xx fetched, 6Cxx re-sent
	if got := panDigits(s.data[0x5A]); got != "1234560012345608" {
		t.Errorf("PAN %s", got)
	}
}
