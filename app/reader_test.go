package app

import (
	"reflect"
	"testing"
)

func TestReaderBoard_Message(t *testing.T) {
	cases := []struct {
		name   string
		events []ReaderEvent
		want   Message
		list   []ReaderStatus
	}{
		{"nothing heard", nil, MsgServiceDown, []ReaderStatus{}},
		{"service up, no reader", []ReaderEvent{{Kind: ServiceUp}}, MsgNoReader, []ReaderStatus{}},
		{"reader ready", []ReaderEvent{{Kind: ServiceUp}, {Kind: ReaderAdded, Reader: "R"}}, MsgPresentPhone,
			[]ReaderStatus{{Name: "R"}}},
		{"phone on one of two readers", []ReaderEvent{{Kind: ServiceUp}, {Kind: ReaderAdded, Reader: "B"},
			{Kind: ReaderAdded, Reader: "A"}, {Kind: CardPresent, Reader: "B"}}, MsgCardOnReader,
			[]ReaderStatus{{Name: "A"}, {Name: "B", Card: true}}},
		{"phone lifted", []ReaderEvent{{Kind: ServiceUp}, {Kind: ReaderAdded, Reader: "R"},
			{Kind: CardPresent, Reader: "R"}, {Kind: CardRemoved, Reader: "R"}}, MsgPresentPhone,
			[]ReaderStatus{{Name: "R"}}},
		{"reader unplugged", []ReaderEvent{{Kind: ServiceUp}, {Kind: ReaderAdded, Reader: "R"},
			{Kind: ReaderRemoved, Reader: "R"}}, MsgNoReader, []ReaderStatus{}},
		{"service went away", []ReaderEvent{{Kind: ServiceUp}, {Kind: ReaderAdded, Reader: "R"},
			{Kind: ServiceDown}}, MsgServiceDown, []ReaderStatus{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a board, when the events arrive
			b := NewReaderBoard()
			for _, e := range tc.events {
				b.Apply(e)
			}
			// Then the cashier reads the right sentence and list
			if got := b.Message(); got != tc.want {
				t.Errorf("message %q, want %q", got, tc.want)
			}
			if got := b.Readers(); !reflect.DeepEqual(got, tc.list) {
				t.Errorf("readers %+v, want %+v", got, tc.list)
			}
		})
	}
}
