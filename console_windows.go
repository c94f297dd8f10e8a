package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// lingqian.exe is a GUI program, so Windows gives it no console: run from
// a Command Prompt with a command (backup, charge, --version…), it would
// print nowhere. It takes its parent's console then, when it has one, and
// writes there; standard output or error a script redirected to a file
// stays as it was.
func init() {
	if len(os.Args) < 2 {
		return // the window
	}
	attach := windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	const attachParentProcess = ^uintptr(0) // ATTACH_PARENT_PROCESS, (DWORD)-1
	if ok, _, _ := attach.Call(attachParentProcess); ok == 0 {
		return
	}
	out, err := windows.CreateFile(windows.StringToUTF16Ptr("CONOUT$"), windows.GENERIC_READ|windows.GENERIC_WRITE,
		windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return
	}
	console := os.NewFile(uintptr(out), "CONOUT$")
	if h, err := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE); err != nil || h == 0 || h == windows.InvalidHandle {
		os.Stdout = console
	}
	if h, err := windows.GetStdHandle(windows.STD_ERROR_HANDLE); err != nil || h == 0 || h == windows.InvalidHandle {
		os.Stderr = console
	}
}
