package leaseowner_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/internal/leaseowner"
)

// Two owners made in one process (two processes on one host in the same
// container image look alike to host and pid) still differ, and each names
// the process.
func TestOwnersDifferAndNameTheProcess(t *testing.T) {
	a, b := leaseowner.New(), leaseowner.New()
	if a == b {
		t.Fatalf("two owners are both %q", a)
	}
	pid := ":" + strconv.Itoa(os.Getpid()) + ":"
	for _, o := range []string{a, b} {
		if !strings.Contains(o, pid) {
			t.Errorf("owner %q does not name pid %d", o, os.Getpid())
		}
	}
}
