// How long a seller waits for the first frame when many connect at once.
package e2e

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/stockroom/stockroom/internal/sshtest"
)

// BenchmarkConnectToFirstFrame: 50 signed-up sellers connect at the same
// moment on loopback; each measures TCP connect, SSH handshake, PTY and
// shell until its screen shows the tab bar. Reports p50 and p99 in ms.
func BenchmarkConnectToFirstFrame(b *testing.B) {
	const clients = 50
	// Loopback is one IP: lift the per-IP cap above the crowd.
	s := startServer(b, "--max-conns-per-ip", "200")
	// The sellers exist before the clock starts; signing up is not timed.
	keys := make([]gossh.Signer, clients)
	for i := range keys {
		keys[i] = sshtest.NewKey(b)
		tm := signUp(b, s, keys[i], fmt.Sprintf("Seller %d", i), "")
		tm.sess.Close()
	}
	var all []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := make(chan struct{})
		took := make([]time.Duration, clients)
		errs := make([]error, clients)
		var wg sync.WaitGroup
		for i := range clients {
			wg.Go(func() {
				<-start
				took[i], errs[i] = firstFrame(s, keys[i])
			})
		}
		close(start)
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		all = append(all, took...)
	}
	b.StopTimer()
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[min(len(all)-1, int(p*float64(len(all))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// firstFrame connects one client and waits for the tab bar.
func firstFrame(s *server, key gossh.Signer) (time.Duration, error) {
	t0 := time.Now()
	c, err := gossh.Dial("tcp", s.sshAddr, s.clientConfig(gossh.PublicKeys(key)))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		return 0, err
	}
	defer sess.Close()
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		return 0, err
	}
	vt := newVterm(120, 40)
	seen := make(chan struct{})
	var once sync.Once
	sess.Stdout = writerFunc(func(p []byte) (int, error) {
		n, err := vt.Write(p)
		if strings.Contains(vt.Screen(), tabBar) {
			once.Do(func() { close(seen) })
		}
		return n, err
	})
	if err := sess.Shell(); err != nil {
		return 0, err
	}
	select {
	case <-seen:
		return time.Since(t0), nil
	case <-time.After(30 * time.Second):
		return 0, errTimeout(vt.Screen())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

type errTimeout string

func (e errTimeout) Error() string { return "no tab bar within 30s; screen:\n" + string(e) }
