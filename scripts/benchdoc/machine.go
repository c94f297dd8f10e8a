package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// machine is what the figures depend on besides the code: read from /proc,
// /sys and /etc/os-release, and the Go toolchain this program was built
// by (the one `make bench` ran, through go run).
type machine struct {
	CPU     string
	Cores   int
	MemGiB  float64
	Kernel  string
	OS      string
	Go      string
	Disk    string // the disk of the temporary folder the journal benchmarks write in
	LoadAvg string // at the end of the run
}

func (m machine) String() string {
	parts := []string{
		fmt.Sprintf("%s, %d cores", orUnknown(m.CPU), m.Cores),
		fmt.Sprintf("%.1f GiB RAM", m.MemGiB),
		"Linux " + orUnknown(m.Kernel),
		orUnknown(m.OS),
		m.Go,
		"journal disk: " + orUnknown(m.Disk),
	}
	if m.LoadAvg != "" {
		parts = append(parts, "load average "+m.LoadAvg+" when the run ended")
	}
	return strings.Join(parts, "; ")
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func machineFacts() machine {
	m := machine{Go: runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH}
	cpuinfo, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(cpuinfo), "\n") {
		k, v, ok := strings.Cut(line, ":")
		switch k = strings.TrimSpace(k); {
		case !ok:
		case k == "processor":
			m.Cores++
		case k == "model name" && m.CPU == "":
			m.CPU = strings.TrimSpace(v)
		}
	}
	if m.Cores == 0 {
		m.Cores = runtime.NumCPU()
	}
	meminfo, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(meminfo), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			m.MemGiB = kb / (1 << 20)
		}
	}
	m.Kernel = firstLine("/proc/sys/kernel/osrelease")
	if load := strings.Fields(firstLine("/proc/loadavg")); len(load) >= 3 {
		m.LoadAvg = strings.Join(load[:3], " ")
	}
	if osr, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(osr), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	m.Disk = diskOf(os.TempDir())
	return m
}

func firstLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(line)
}

// diskOf names the device and file system dir is on, from the mount with
// the longest matching mount point in /proc/self/mountinfo.
func diskOf(dir string) string {
	dir, _ = filepath.EvalSymlinks(dir)
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	var best, fstype, source string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,...
		left, right, ok := strings.Cut(sc.Text(), " - ")
		lf, rf := strings.Fields(left), strings.Fields(right)
		if !ok || len(lf) < 5 || len(rf) < 2 {
			continue
		}
		point := lf[4]
		if (dir == point || strings.HasPrefix(dir, strings.TrimSuffix(point, "/")+"/")) && len(point) > len(best) {
			best, fstype, source = point, rf[0], rf[1]
		}
	}
	if best == "" {
		return ""
	}
	out := fmt.Sprintf("%s on %s (%s)", dir, source, fstype)
	if name := filepath.Base(source); strings.HasPrefix(name, "vd") {
		out += ", a virtio virtual disk"
	} else if fstype == "tmpfs" {
		out += ", in memory"
	}
	return out
}
