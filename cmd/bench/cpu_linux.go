package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuSample is the CPU time, in clock ticks, of the whole machine (busy
// time), of bench, of the server and of the PostgreSQL processes, so that
// the CPU of everything else during a run can be told apart: on a shared
// machine that is noise in the numbers.
type cpuSample struct {
	ok       bool
	busy     float64
	bench    float64
	server   float64
	postgres map[int]float64
}

func sampleCPU(serverPID int) cpuSample {
	s := cpuSample{postgres: map[int]float64{}}
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return s
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return s
	}
	// user nice system idle iowait irq softirq steal: all but idle and iowait.
	for _, i := range []int{1, 2, 3, 6, 7, 8} {
		v, _ := strconv.ParseFloat(f[i], 64)
		s.busy += v
	}
	s.bench = procTicks("/proc/self/stat")
	s.server = procTicks(filepath.Join("/proc", strconv.Itoa(serverPID), "stat"))
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		comm, err := os.ReadFile(filepath.Join(d, "comm"))
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		pid, _ := strconv.Atoi(filepath.Base(d))
		s.postgres[pid] = procTicks(filepath.Join(d, "stat"))
	}
	s.ok = true
	return s
}

// procTicks returns utime+stime of a /proc/<pid>/stat file.
func procTicks(path string) float64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces: count from its end.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	k, _ := strconv.ParseFloat(f[12], 64)
	return u + k
}

// otherCores returns how many cores, on average, processes other than
// bench, the server and PostgreSQL kept busy between a and b (ok false
// where /proc is not available).
func otherCores(a, b cpuSample, seconds float64) (float64, bool) {
	if !a.ok || !b.ok || seconds <= 0 {
		return 0, false
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	var pg float64
	for pid, t := range b.postgres {
		pg += t - a.postgres[pid]
	}
	other := (b.busy - a.busy) - (b.bench - a.bench) - (b.server - a.server) - pg
	return max(other, 0) / ticksPerSecond / seconds, true
}
