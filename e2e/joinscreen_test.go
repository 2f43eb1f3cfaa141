// A person who joins a shop on the sign-up screen reaches the Members panel
// of every owner, not only the one who issued the code.
package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stockroom/stockroom/internal/sshtest"
)

func TestSignUpScreenJoinReachesEveryOwnersMembersPanel(t *testing.T) {
	s := startServer(t)
	aKey, cKey, bKey := sshtest.NewKey(t), sshtest.NewKey(t), sshtest.NewKey(t)
	signUp(t, s, aKey, "Ada Owner", "")
	a := s.dial(t, aKey)
	connectShop(t, s, a)

	// Cy joins and becomes a second owner.
	code := strings.TrimSpace(run(t, a, "members invite --role viewer", "").stdout)
	if r := runAs(t, s, cKey, "join "+code+" --name Cy", ""); r.code != 0 {
		t.Fatalf("Cy joins: %s", r)
	}
	if r := run(t, a, "members role Cy owner", ""); r.code != 0 {
		t.Fatalf("members role Cy owner: %s", r)
	}

	// Ada invites Bo; Cy has the shop's Members panel open.
	code = strings.TrimSpace(run(t, a, "members invite --role manager", "").stdout)
	if !codePattern.MatchString(code) {
		t.Fatalf("members invite printed %q", code)
	}
	ct := openTerm(t, s.dial(t, cKey), "stores", 140, 40)
	ct.waitFor(t, "DemoShop", 10*time.Second)
	ct.send(t, "m")
	ct.waitFor(t, "Cy (you)", 5*time.Second)

	// Bo signs up with the code on the sign-up screen.
	bt := openTerm(t, s.dial(t, bKey), "", 120, 40)
	bt.waitFor(t, "Welcome to Stockroom", 10*time.Second)
	bt.send(t, "Bo Helper", "\t", "\t", code, "\r")
	bt.waitFor(t, "DemoShop", 10*time.Second)
	joined := time.Now()
	sc := ct.waitFor(t, "Bo Helper", 2*time.Second)
	t.Logf("Cy's Members panel listed Bo %s after Bo's screen showed the shop", time.Since(joined).Round(time.Millisecond))
	if !strings.Contains(sc, "manager") {
		t.Fatalf("Cy's panel:\n%s", sc)
	}
}
