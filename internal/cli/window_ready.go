package cli

import (
	"os"
	"strconv"
	"time"

	"lingqian/ui"
)

// readyFileEnv names a file the window writes, once, with the time in
// Unix nanoseconds, when its first screen takes a character from the
// keyboard: the start benchmark's end mark. Unset, nothing is written.
const readyFileEnv = "LINGQIAN_READY_FILE"

// markReady arranges the ready file when the environment asks for it.
func markReady(window *ui.Desk, logf func(string, ...any)) {
	path := os.Getenv(readyFileEnv)
	if path == "" {
		return
	}
	window.WhenTakingKeys(func() {
		now := strconv.FormatInt(time.Now().UnixNano(), 10)
		if err := os.WriteFile(path, []byte(now), 0o600); err != nil {
			logf("ready file %s: %v", path, err)
		}
	})
}
