// Command hello is the baseline the desk's window start is measured
// against (BenchmarkWindow_StartBesideHelloWorld): Fyne's own hello-world,
// one window titled "Hello Fyne" holding one label.
package main

import (
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.New()
	w := a.NewWindow("Hello Fyne")
	w.SetContent(widget.NewLabel("Hello Fyne!"))
	w.ShowAndRun()
}
