package e2e

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// tinyDisk mounts a tmpfs of size on a new directory, unmounted at
// cleanup. Mounting needs root, which CI has; elsewhere the test skips.
func tinyDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v %s (CI runs as root and must run this test)", err, out)
		}
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// waitHealth polls path until its status is want, and returns the body.
func waitHealth(t *testing.T, s *server, path string, want int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + s.httpAddr + path)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s stayed %d %q, want %d; log:\n%s", path, resp.StatusCode, b, want, s.logs)
			}
		} else if time.Now().After(deadline) {
			t.Fatalf("%s: %v", path, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Issue 10, item 10, on a real full disk: the data directory on a 16 MB
// tmpfs is filled; /healthz and /readyz answer 503 naming the disk, and
// both recover by themselves once the space is freed.
func TestFullDiskMakesHealthz503UntilSpaceIsBack(t *testing.T) {
	disk := tinyDisk(t, "16m")
	s := startServerIn(t, disk)
	if body := waitHealth(t, s, "/readyz", 200); body != "ok\n" {
		t.Fatalf("readyz %q", body)
	}
	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for {
		if _, err := f.Write(chunk); err != nil {
			break // the disk is full
		}
	}
	f.Close()
	for _, path := range []string{"/healthz", "/readyz"} {
		if body := waitHealth(t, s, path, 503); !strings.Contains(body, "disk: cannot write to") || !strings.Contains(body, "no space left on device") {
			t.Fatalf("%s on a full disk: %q", path, body)
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if body := waitHealth(t, s, path, 200); body != "ok\n" {
			t.Fatalf("%s after space came back: %q", path, body)
		}
	}
}
