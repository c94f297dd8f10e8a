package ui

import "sync"

// WhenTakingKeys calls ready once, on the Fyne goroutine, the first time
// the sign-in screen's operator field takes a character from the
// keyboard. A fresh desk opens at sign-in with that field focused, so
// this is the moment its window is of use: the start benchmark times it
// (LINGQIAN_READY_FILE).
func (d *Desk) WhenTakingKeys(ready func()) {
	var once sync.Once
	op := d.signIn.operator
	before := op.OnChanged
	op.OnChanged = func(text string) {
		if before != nil {
			before(text)
		}
		if text != "" {
			once.Do(ready)
		}
	}
}
