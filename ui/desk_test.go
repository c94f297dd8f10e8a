package ui

import (
	"testing"

	"fyne.io/fyne/v2/test"

	"lingqian/app"
)

func TestDesk_ShowsTheReaderState(t *testing.T) {
	// Given a desk whose board has heard nothing yet
	a := test.NewApp()
	defer a.Quit()
	board := app.NewReaderBoard()
	d := NewDesk(a, board, app.English)

	// Then it says the card service is not running
	if got, want := d.StatusText(), app.MsgServiceDown.Text(app.English); got != want {
		t.Fatalf("status %q, want %q", got, want)
	}

	// When a reader appears and a phone is tapped on it
	board.Apply(app.ReaderEvent{Kind: app.ServiceUp})
	board.Apply(app.ReaderEvent{Kind: app.ReaderAdded, Reader: "ACS ACR1252 00 00"})
	d.Refresh()
	if got, want := d.StatusText(), app.MsgPresentPhone.Text(app.English); got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	board.Apply(app.ReaderEvent{Kind: app.CardPresent, Reader: "ACS ACR1252 00 00"})
	d.Refresh()

	// Then the window says a phone is on the reader and lists it
	if got, want := d.StatusText(), app.MsgCardOnReader.Text(app.English); got != want {
		t.Fatalf("status %q, want %q", got, want)
	}
	if d.readers.Length() != 1 {
		t.Fatalf("%d readers listed, want 1", d.readers.Length())
	}
}

func TestDesk_SpeaksChinese(t *testing.T) {
	a := test.NewApp()
	defer a.Quit()
	d := NewDesk(a, app.NewReaderBoard(), app.SimplifiedChinese)
	if got := d.StatusText(); got != "读卡器服务未运行,正在重试……" {
		t.Fatalf("status %q", got)
	}
}
