// Package procstat reads what a process has cost so far from Linux's /proc:
// its CPU times and its threads' context switches. Benchmarks read it twice,
// a window apart, to measure an idle process's CPU and wake-ups.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of /proc/PID/stat's CPU times on Linux.
const ClockTicks = 100

// CPU returns pid's user and system CPU times in clock ticks.
func CPU(pid int) (user, sys int64, err error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the command name, which is in parentheses and may hold spaces.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+2:]))
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("procstat: /proc/%d/stat: %d fields", pid, len(f))
	}
	if user, err = strconv.ParseInt(f[11], 10, 64); err == nil {
		sys, err = strconv.ParseInt(f[12], 10, 64)
	}
	return user, sys, err
}

// Wakeups sums the voluntary and involuntary context switches of every
// thread of pid: each is a thread put to sleep and woken again, so their
// rate counts a process's wake-ups.
func Wakeups(pid int) (int64, error) {
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/status", pid))
	if err != nil {
		return 0, err
	}
	if len(tasks) == 0 {
		return 0, fmt.Errorf("procstat: no threads of %d", pid)
	}
	var n int64
	for _, t := range tasks {
		raw, err := os.ReadFile(t)
		if err != nil {
			continue // a thread that ended between the listing and the read
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if _, v, ok := strings.Cut(line, "ctxt_switches:"); ok {
				k, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
				if err != nil {
					return 0, fmt.Errorf("procstat: %s: %w", t, err)
				}
				n += k
			}
		}
	}
	return n, nil
}
