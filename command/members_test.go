package command

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/internal/logtest"
	"github.com/stockroom/stockroom/store"
)

func TestMembers(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.viewer, "", "members", "list").want(t, ExitOK)
	contains(t, "list", r.stdout, "Ada", "owner", "Vic", "viewer")
	r = f.run(t, f.owner, "", "members", "list", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "account_id", "name", "email", "role", "alerts", "you", "since")
	var ms []memberJSON
	if err := json.Unmarshal([]byte(r.stdout), &ms); err != nil || len(ms) != 2 || ms[0].Name != "Ada" || !ms[0].You || ms[1].Role != "viewer" {
		t.Fatalf("json %v %s", err, r.stdout)
	}
	r = f.run(t, f.owner, "", "members", "list", "--format", "csv").want(t, ExitOK)
	if !strings.HasPrefix(r.stdout, "account_id,name,email,role,alerts,you,since\r\n") || !strings.Contains(r.stdout, "Vic,vic@example.com,viewer,true,false") {
		t.Fatalf("csv %q", r.stdout)
	}
	// Any member chooses whether the store's alerts reach them.
	r = f.run(t, f.viewer, "", "members", "alerts", "off").want(t, ExitOK)
	contains(t, "alerts off", r.stdout, "no longer reach you")
	r = f.run(t, f.owner, "", "members", "list", "--format", "csv").want(t, ExitOK)
	contains(t, "after alerts off", r.stdout, "Vic,vic@example.com,viewer,false,false")
	f.run(t, f.viewer, "", "members", "alerts", "maybe").want(t, ExitUsage)

	// The viewer can manage nothing, and is told their role.
	r = f.run(t, f.viewer, "", "members", "role", "Ada", "viewer").want(t, ExitFailure)
	contains(t, "viewer's role change", r.stderr, "you are a viewer")
	f.run(t, f.owner, "", "members", "role", "Vic", "boss").want(t, ExitUsage)
	f.run(t, f.owner, "", "members", "role", "Nobody", "viewer").want(t, ExitFailure)

	// The last owner cannot step down or leave.
	r = f.run(t, f.owner, "", "members", "role", "ada@example.com", "manager").want(t, ExitFailure)
	contains(t, "last owner", r.stderr, "needs an owner")
	r = f.run(t, f.owner, "", "members", "leave").want(t, ExitFailure)
	contains(t, "last owner leaving", r.stderr, "needs an owner")

	// Ownership moves: Vic becomes owner, Ada steps down to manager.
	r = f.run(t, f.owner, "", "members", "role", "Vic", "owner").want(t, ExitOK)
	contains(t, "promote", r.stdout, "Vic is now an owner")
	f.run(t, f.owner, "", "members", "role", "Ada", "manager").want(t, ExitOK)
	r = f.run(t, f.owner, "", "members", "remove", "Vic").want(t, ExitFailure)
	contains(t, "manager removing", r.stderr, "you are a manager", "only its owners can remove members")
	r = f.run(t, f.owner, "", "store", "disconnect").want(t, ExitFailure)
	contains(t, "manager disconnecting", r.stderr, "you are a manager")

	r = f.run(t, f.viewer, "", "members", "remove", "Ada").want(t, ExitOK)
	contains(t, "remove", r.stdout, "removed Ada")
	r = f.run(t, f.owner, "", "inventory").want(t, ExitFailure)
	contains(t, "inventory after removal", r.stderr, "no store")
}

// Every command that changes a store refuses a viewer with exit 1 and a
// message naming the role, and changes nothing.
func TestViewerEveryWriteCommandRefused(t *testing.T) {
	f := newFixture(t)
	for _, c := range []call{
		{"", []string{"stock", "set", "MUG-1", "5"}},
		{"", []string{"stock", "add", "MUG-1", "1"}},
		{"sku,quantity\nMUG-1,4\n", []string{"stock", "import"}},
		{"", []string{"sync"}},
		{"", []string{"members", "role", "Ada", "viewer"}},
		{"", []string{"members", "remove", "Ada"}},
		{"", []string{"store", "disconnect"}},
		{"", []string{"members", "invite", "--role", "viewer"}},
		{"", []string{"members", "revoke", "1"}},
	} {
		r := f.run(t, f.viewer, c.stdin, c.args...)
		if r.code != ExitFailure || !strings.Contains(r.stderr, "you are a viewer") {
			t.Errorf("%v by a viewer: exit %d, stderr %q; want exit 1 naming the role", c.args, r.code, r.stderr)
		}
	}
	st, err := f.db.StoreGet(t.Context(), f.store.ID)
	if err != nil || st.Status != store.StatusConnected {
		t.Fatalf("store after the viewer: %+v %v", st, err)
	}
	r := f.run(t, f.owner, "", "inventory", "--format", "json").want(t, ExitOK)
	if strings.Contains(r.stdout, `"pending": true`) {
		t.Fatalf("a viewer's edit is pending: %s", r.stdout)
	}
	if len(f.jobs.SyncKinds()) != 0 {
		t.Fatalf("a viewer queued syncs: %v", f.jobs.SyncKinds())
	}
}

func TestStoreDisconnect(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, f.owner, "", "store", "disconnect", "--store", "Ada's Pottery").want(t, ExitOK)
	contains(t, "disconnect", r.stdout, "disconnected Ada's Pottery")
	r = f.run(t, f.owner, "", "stores").want(t, ExitOK)
	contains(t, "stores", r.stdout, "disconnected")
	f.run(t, f.owner, "", "inventory").want(t, ExitOK)
	r = f.run(t, f.owner, "", "stock", "set", "MUG-1", "5").want(t, ExitFailure)
	contains(t, "edit after disconnect", r.stderr, "disconnected")
}

func TestMembersInviteJoinRevoke(t *testing.T) {
	f := newFixture(t)
	// Bea and Cy run commands with the keys they signed up with.
	person := func(name string) Env {
		k := newKey(t)
		a, err := f.app.SignUp(t.Context(), app.SignUpParams{Name: name, PublicKey: k})
		if err != nil {
			t.Fatal(err)
		}
		return Env{Actor: a, PublicKey: k}
	}
	bea, cy := person("Bea"), person("Cy")
	f.run(t, f.owner, "", "members", "invite").want(t, ExitUsage)
	f.run(t, f.owner, "", "members", "invite", "--role", "boss").want(t, ExitUsage)
	r := f.run(t, f.owner, "", "members", "invite", "--role", "owner").want(t, ExitFailure)
	contains(t, "owner invite", r.stderr, "viewer or manager")
	r = f.run(t, f.viewer, "", "members", "invite", "--role", "viewer").want(t, ExitFailure)
	contains(t, "viewer inviting", r.stderr, "you are a viewer")

	r = f.run(t, f.owner, "", "members", "invite", "--role", "manager").want(t, ExitOK)
	code := strings.TrimSpace(r.stdout)
	if len(code) != 19 || strings.Count(code, "-") != 3 {
		t.Fatalf("invite printed %q", r.stdout)
	}
	contains(t, "invite note", r.stderr, "a manager of Ada's Pottery", "join "+code)

	r = f.run(t, f.owner, "", "members", "invites", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "id", "role", "status", "invited_by", "created_at", "expires_at", "used_at", "used_by", "revoked_at")
	if strings.Contains(r.stdout, code) {
		t.Fatal("invites lists the code itself")
	}
	r = f.runEnv(t, bea, "join", strings.ToLower(code)).want(t, ExitOK)
	contains(t, "join", r.stdout, "Bea joined store "+strconv.FormatInt(f.store.ID, 10)+" as manager")
	r = f.runEnv(t, cy, "join", code).want(t, ExitFailure)
	contains(t, "reused", r.stderr, "not valid")

	r = f.run(t, f.owner, "", "members", "invite", "--role", "viewer").want(t, ExitOK)
	second := strings.TrimSpace(r.stdout)
	r = f.run(t, f.owner, "", "members", "invites").want(t, ExitOK)
	contains(t, "open invites", r.stdout, "viewer", "open")
	var open []inviteJSON
	r = f.run(t, f.owner, "", "members", "invites", "--format", "json").want(t, ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &open); err != nil || len(open) != 1 {
		t.Fatalf("open invites %v %s", err, r.stdout)
	}
	f.run(t, f.owner, "", "members", "revoke", second).want(t, ExitUsage) // the code, not its id
	r = f.run(t, f.owner, "", "members", "revoke", strconv.FormatInt(open[0].ID, 10)).want(t, ExitOK)
	r = f.runEnv(t, cy, "join", second).want(t, ExitFailure)
	contains(t, "revoked", r.stderr, "not valid")
	r = f.run(t, f.owner, "", "members", "invites", "--all", "--format", "csv").want(t, ExitOK)
	contains(t, "all invites", r.stdout, ",used,", ",revoked,")
}

func TestAdminCommands(t *testing.T) {
	f := newFixture(t)
	root := f.signUp(t, "Root")
	logger, logs := logtest.New()
	f.app = app.New(app.Config{Store: f.db, Jobs: f.jobs, Hub: f.hub, SignupOpen: true, Logger: logger,
		AdminFingerprints: map[string]bool{root.Fingerprint: true}})

	for _, args := range [][]string{{"admin", "accounts"}, {"admin", "stores"}, {"admin", "members", "1"},
		{"admin", "disable", "2"}, {"admin", "invite"}} {
		r := f.run(t, f.owner, "", args...).want(t, ExitFailure)
		contains(t, strings.Join(args, " ")+" by a seller", r.stderr, "only admins")
	}

	r := f.run(t, root, "", "admin", "accounts", "--format", "json").want(t, ExitOK)
	wantKeys(t, r.stdout, "id", "name", "email", "admin", "disabled", "created_at")
	contains(t, "accounts", r.stdout, `"name": "Ada"`, `"name": "Vic"`, `"name": "Root"`)
	r = f.run(t, root, "", "admin", "stores").want(t, ExitOK)
	contains(t, "stores", r.stdout, "Ada's Pottery", "connected")
	var stores []adminStoreJSON
	r = f.run(t, root, "", "admin", "stores", "--format", "json").want(t, ExitOK)
	if err := json.Unmarshal([]byte(r.stdout), &stores); err != nil || len(stores) != 1 || stores[0].Members != 2 ||
		!slices.Equal(stores[0].Owners, []int64{f.owner.Account.ID}) {
		t.Errorf("admin stores json: %v %s", err, r.stdout)
	}
	r = f.run(t, root, "", "admin", "members", strconv.FormatInt(f.store.ID, 10), "--format", "csv").want(t, ExitOK)
	contains(t, "members", r.stdout, "Ada,ada@example.com,owner,true", "Vic,vic@example.com,viewer,true")
	f.run(t, root, "", "admin", "members", "shop").want(t, ExitUsage)

	vic := strconv.FormatInt(f.viewer.Account.ID, 10)
	r = f.run(t, root, "", "admin", "disable", vic).want(t, ExitOK)
	contains(t, "disable", r.stdout, "disabled account "+vic)
	f.run(t, f.viewer, "", "inventory").want(t, ExitFailure)
	f.run(t, root, "", "admin", "enable", vic).want(t, ExitOK)
	f.run(t, f.viewer, "", "inventory").want(t, ExitOK)
	f.run(t, root, "", "admin", "disable", "999").want(t, ExitFailure)

	r = f.run(t, root, "", "admin", "invite").want(t, ExitOK)
	if code := strings.TrimSpace(r.stdout); len(code) != 19 {
		t.Fatalf("admin invite printed %q", r.stdout)
	}
	for _, event := range []string{"admin listed accounts", "admin listed stores", "admin listed a store's members",
		"account disabled", "account enabled", "code issued"} {
		if !strings.Contains(logs.String(), event) {
			t.Errorf("no %q in the log:\n%s", event, logs)
		}
	}
}
