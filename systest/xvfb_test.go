package systest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// xvfb starts a private Xvfb on the first free display number from first
// on, waits until it serves a client, and stops it by its PID when the
// test ends. It answers the display's name, ":N".
func xvfb(tb testing.TB, first int, screen string) string {
	tb.Helper()
	for n := first; n < first+100; n++ {
		socket := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if fileExists(socket) || fileExists(fmt.Sprintf("/tmp/.X%d-lock", n)) {
			continue
		}
		name := ":" + strconv.Itoa(n)
		// -noreset: by default the server resets when its last client
		// leaves, and a program starting just then cannot connect.
		cmd := exec.Command("Xvfb", name, "-screen", "0", screen, "-nolisten", "tcp", "-noreset")
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		// The kernel sends Pdeathsig when the thread that started the
		// child ends, not the process: the starting goroutine keeps its
		// thread until Xvfb has ended.
		started, done := make(chan error), make(chan struct{})
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			err := cmd.Start()
			started <- err
			if err == nil {
				_ = cmd.Wait()
				close(done)
			}
		}()
		if err := <-started; err != nil {
			tb.Fatalf("start Xvfb: %v", err)
		}
		exited := func() bool {
			select {
			case <-done:
				return true
			default:
				return false
			}
		}
		// Ready when a client is served, not only when its socket exists.
		ready := waitUntil(10*time.Second, func() bool {
			return exited() || (fileExists(socket) && xdotoolOn(name) == nil)
		})
		if exited() { // the number was taken meanwhile: try the next
			continue
		}
		tb.Cleanup(func() { stopProcess(cmd.Process, done) })
		if !ready {
			tb.Fatalf("Xvfb %s not ready after 10 s:\n%s", name, log.String())
		}
		return name
	}
	tb.Fatalf("no free X display number from :%d to :%d", first, first+99)
	return ""
}

// xdotoolOn asks the display for its size: it answers once Xvfb serves clients.
func xdotoolOn(display string) error {
	cmd := exec.Command("xdotool", "getdisplaygeometry")
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	return cmd.Run()
}

// stopProcess ends a process the test started: SIGTERM, then SIGKILL after 5 s.
func stopProcess(p *os.Process, done <-chan struct{}) {
	_ = p.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = p.Kill()
		<-done
	}
}
