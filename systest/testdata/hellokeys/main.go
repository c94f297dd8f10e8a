// Command hellokeys is the baseline the desk's time to a usable window is
// measured against (BenchmarkWindow_ReadyBesideHelloWorld): Fyne's own
// hello-world, one window titled "Hello Fyne" holding one label, which
// writes the time to LINGQIAN_READY_FILE when the first character typed
// reaches it, as the desk does when its sign-in screen takes one.
package main

import (
	"os"
	"strconv"
	"sync"
	"time"

	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.New()
	w := a.NewWindow("Hello Fyne")
	w.SetContent(widget.NewLabel("Hello Fyne!"))
	if path := os.Getenv("LINGQIAN_READY_FILE"); path != "" {
		var once sync.Once
		w.Canvas().SetOnTypedRune(func(rune) {
			once.Do(func() {
				now := strconv.FormatInt(time.Now().UnixNano(), 10)
				_ = os.WriteFile(path, []byte(now), 0o600)
			})
		})
	}
	w.ShowAndRun()
}
