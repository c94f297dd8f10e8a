package systest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The window start is measured against Fyne's own hello-world
// (testdata/hello), side by side on the same virtual display, the two
// programs taking turns. Target (the issue): the desk within 1.3 × the
// hello-world's start time and resident memory; DESIGN section 8: cold
// start under 1.5 s and 150 MB.
const (
	startRounds     = 7                // rounds per benchmark iteration, each one start of each program
	startShowLimit  = 20 * time.Second // a window not visible by then fails the run
	startSettle     = time.Second      // how long after it shows its memory is read
	startDeskTitle  = "Lingqian 零钱"
	startHelloTitle = "Hello Fyne"
)

// BenchmarkWindow_StartBesideHelloWorld starts the desk's real window
// (built without -tags ci, so with Fyne's GLFW driver) on a fresh data
// folder and Fyne's hello-world in turns on one Xvfb display. Each start
// is timed from exec to the window mapped and visible (xdotool search
// --onlyvisible, polled every 10 ms), and the CPU time it used until then
// read from /proc; one second later the program's
// resident memory is read from /proc, and it is stopped by its PID. The
// medians and the desk/hello ratios are reported. A first round of each,
// not counted, warms the page cache and the shared home folder.
//
// LINGQIAN_WINDOW_BENCH_ROUNDS=N sets another number of rounds.
func BenchmarkWindow_StartBesideHelloWorld(b *testing.B) {
	rounds, display, home, programs := windowBench(b, startRounds, "hello", 240)
	for _, p := range programs { // warm-up, not counted
		p.run(b, display, home)
	}
	b.ResetTimer()
	var desks, hellos []startSample
	for i := range b.N * rounds {
		// Alternate which goes first, so neither always follows the other.
		first, second := programs[0], programs[1]
		if i%2 == 1 {
			first, second = second, first
		}
		for _, p := range []*startProgram{first, second} {
			s := p.run(b, display, home)
			if p == programs[0] {
				desks = append(desks, s)
			} else {
				hellos = append(hellos, s)
			}
		}
	}
	b.StopTimer()

	d, h := startMedians(desks), startMedians(hellos)
	b.ReportMetric(d.start, "start_ms")
	b.ReportMetric(h.start, "hello_start_ms")
	b.ReportMetric(d.start/h.start, "start_ratio")
	b.ReportMetric(d.cpu, "cpu_ms")
	b.ReportMetric(h.cpu, "hello_cpu_ms")
	b.ReportMetric(d.rss, "rss_MB")
	b.ReportMetric(h.rss, "hello_rss_MB")
	b.ReportMetric(d.rss/h.rss, "rss_ratio")
	b.ReportMetric(d.hwm, "hwm_MB")
	b.ReportMetric(h.hwm, "hello_hwm_MB")
	b.Logf("desk  start ms %v", startColumn(desks, func(s startSample) float64 { return s.start }))
	b.Logf("hello start ms %v", startColumn(hellos, func(s startSample) float64 { return s.start }))
	b.Logf("desk  RSS MB   %v", startColumn(desks, func(s startSample) float64 { return s.rss }))
	b.Logf("hello RSS MB   %v", startColumn(hellos, func(s startSample) float64 { return s.rss }))
}

// startBuild builds a package into path with Fyne's real driver: no ci tag.
// windowBench readies a window benchmark: the rounds to run (defaults, or
// LINGQIAN_WINDOW_BENCH_ROUNDS), a private Xvfb on display number n, a
// home folder, and the desk and the hello-world of systest/testdata/hello
// built from the source, without the ci tag.
func windowBench(b *testing.B, defaults int, hello string, n int) (rounds int, display, home string, programs []*startProgram) {
	for _, tool := range []string{"Xvfb", "xdotool"} {
		if _, err := exec.LookPath(tool); err != nil {
			b.Skipf("%s is not installed (scripts/deps.sh installs it)", tool)
		}
	}
	rounds = defaults
	if v, err := strconv.Atoi(os.Getenv("LINGQIAN_WINDOW_BENCH_ROUNDS")); err == nil && v > 0 {
		rounds = v
	}
	bins := b.TempDir()
	deskBin, helloBin := filepath.Join(bins, "lingqian"), filepath.Join(bins, hello)
	startBuild(b, deskBin, "lingqian")
	startBuild(b, helloBin, "lingqian/systest/testdata/"+hello)
	return rounds, xvfb(b, n, "1024x640x24"), b.TempDir(), []*startProgram{
		{name: "desk", path: deskBin, title: startDeskTitle, deskData: true},
		{name: "hello", path: helloBin, title: startHelloTitle},
	}
}

func startBuild(b *testing.B, path, pkg string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", path, pkg).CombinedOutput(); err != nil {
		b.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
}

type startProgram struct {
	name, path, title string
	deskData          bool // give it a fresh --data folder
}

type startSample struct{ start, cpu, rss, hwm float64 } // ms, ms, MB, MB

// run starts the program once and answers how long its window took to
// show and how much memory it held a second later.
func (p *startProgram) run(b *testing.B, display, home string) startSample {
	b.Helper()
	var args []string
	if p.deskData {
		data, err := os.MkdirTemp(home, "desk-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(data)
		args = []string{"--data", data, "--lang", "en"}
	}
	cmd := exec.Command(p.path, args...)
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "DISPLAY", "WAYLAND_DISPLAY", "HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES":
		default:
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "DISPLAY="+display, "HOME="+home, "LANG=en_US.UTF-8")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	defer stopProcess(cmd.Process, done)

	shown := false
	for deadline := start.Add(startShowLimit); !shown && time.Now().Before(deadline); {
		select {
		case <-done:
			b.Fatalf("%s exited before its window showed: %v\n%s", p.name, cmd.ProcessState, out.String())
		default:
		}
		shown = startVisible(display, p.title)
		if !shown {
			time.Sleep(10 * time.Millisecond)
		}
	}
	took := time.Since(start)
	if !shown {
		b.Fatalf("%s: no visible window %q after %v\n%s", p.name, p.title, startShowLimit, out.String())
	}
	cpu, err := startCPU(cmd.Process.Pid)
	if err != nil {
		b.Fatalf("%s: %v", p.name, err)
	}
	time.Sleep(startSettle)
	rss, hwm, err := startMemory(cmd.Process.Pid)
	if err != nil {
		b.Fatalf("%s: %v\n%s", p.name, err, out.String())
	}
	return startSample{start: float64(took.Microseconds()) / 1000, cpu: cpu, rss: rss, hwm: hwm}
}

// startVisible says whether a window of that exact title is mapped and
// visible on the display.
func startVisible(display, title string) bool {
	out, err := startXdotoolOutput(display, "search", "--onlyvisible", "--name", "^"+title+"$")
	return err == nil && len(bytes.TrimSpace(out)) > 0
}

func startXdotool(display string, args ...string) error {
	_, err := startXdotoolOutput(display, args...)
	return err
}

// startXdotoolOutput runs xdotool on the display, bounded to 2 s.
func startXdotoolOutput(display string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	return cmd.Output()
}

// startCPU reads the CPU time, user and system, the process has used so
// far from /proc/PID/stat, in ms (clock ticks of 10 ms).
func startCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command's name, which is in parentheses:
	// state is field 3, utime 14 and stime 15.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: %q", pid, b)
	}
	return (utime + stime) * 10, nil
}

// startMemory reads VmRSS and VmHWM, in MB (10^6 bytes), from /proc/PID/status.
func startMemory(pid int) (rss, hwm float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v) // "123456 kB"
		if len(f) != 2 || f[1] != "kB" {
			return 0, 0, fmt.Errorf("/proc/%d/status: %q", pid, line)
		}
		kb, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			return 0, 0, err
		}
		if k == "VmRSS" { // kB here is 1024 bytes
			rss = kb * 1024 / 1e6
		} else {
			hwm = kb * 1024 / 1e6
		}
	}
	if rss == 0 || hwm == 0 {
		return 0, 0, fmt.Errorf("/proc/%d/status: no VmRSS or VmHWM", pid)
	}
	return rss, hwm, nil
}

func startMedians(s []startSample) startSample {
	med := func(f func(startSample) float64) float64 {
		v := startColumn(s, f)
		sort.Float64s(v)
		n := len(v)
		if n%2 == 1 {
			return v[n/2]
		}
		return (v[n/2-1] + v[n/2]) / 2
	}
	return startSample{
		start: med(func(x startSample) float64 { return x.start }),
		cpu:   med(func(x startSample) float64 { return x.cpu }),
		rss:   med(func(x startSample) float64 { return x.rss }),
		hwm:   med(func(x startSample) float64 { return x.hwm }),
	}
}

func startColumn(s []startSample, f func(startSample) float64) []float64 {
	v := make([]float64, len(s))
	for i, x := range s {
		v[i] = f(x)
	}
	return v
}
