package procstat

import (
	"os"
	"testing"
	"time"
)

func TestCPUCountsWork(t *testing.T) {
	u0, s0, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin for a few clock ticks of CPU.
	x := 0
	for end := time.Now().Add(100 * time.Millisecond); time.Now().Before(end); {
		x++
	}
	u1, s1, err := CPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if u1+s1 <= u0+s0 {
		t.Errorf("CPU did not grow over 100 ms of spinning (%d iterations): %d+%d then %d+%d", x, u0, s0, u1, s1)
	}
}

func TestWakeupsCountSleeps(t *testing.T) {
	w0, err := Wakeups(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		time.Sleep(time.Millisecond) // each sleep puts a thread to sleep and wakes it: what is counted
	}
	w1, err := Wakeups(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if w1 <= w0 {
		t.Errorf("no wake-up counted over 5 sleeps: %d then %d", w0, w1)
	}
}

func TestNoProcess(t *testing.T) {
	if _, _, err := CPU(-1); err == nil {
		t.Error("CPU of no process: no error")
	}
	if _, err := Wakeups(-1); err == nil {
		t.Error("Wakeups of no process: no error")
	}
}
