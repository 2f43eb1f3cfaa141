// What a seller does before the interesting part: sign up over SSH,
// connect the demo shop through a browser, and wait for the first sync.
package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
	_ "modernc.org/sqlite"

	"github.com/stockroom/stockroom/internal/sshtest"
)

// The demo sandbox's app credentials (cmd/server's demo mode).
const demoAPIKey = "stockroomdemo:stockroomdemosecret"

// tabBar is text of the header every signed-in screen draws.
const tabBar = "1 Stores"

// signUp creates an account for key through the sign-up screen of a real
// terminal session and returns that session, now on the TUI.
func signUp(t testing.TB, s *server, key gossh.Signer, name, email string) *term {
	t.Helper()
	return signUpOn(t, s.dial(t, key), name, email)
}

// signUpOn is signUp on a connection of the caller's.
func signUpOn(t testing.TB, c *gossh.Client, name, email string) *term {
	t.Helper()
	tm := openTerm(t, c, "", 120, 40)
	tm.waitFor(t, "Welcome to Stockroom", 10*time.Second)
	tm.send(t, name, "\r", email, "\r")
	tm.waitFor(t, tabBar, 10*time.Second)
	return tm
}

// row is one line of `inventory --format json`.
type row struct {
	SKU          string `json:"sku"`
	Quantity     int    `json:"quantity"`
	EtsyQuantity int    `json:"etsy_quantity"`
	Pending      bool   `json:"pending"`
	PushStatus   string `json:"push_status"`
	PushError    string `json:"push_error"`
	ListingID    int64  `json:"listing_id"`
	ProductID    int64  `json:"product_id"`
	Title        string `json:"title"`
	Variation    string `json:"variation"`
	State        string `json:"state"`
}

func inventory(t testing.TB, c *gossh.Client) []row {
	t.Helper()
	return decode[[]row](t, run(t, c, "inventory --format json", ""))
}

// seller signs up name with a new key, dials in and connects the demo
// shop, where every test of a seller's work starts. It returns the key,
// the seller's connection and the shop's rows.
func (s *server) seller(t testing.TB, name, email string) (gossh.Signer, *gossh.Client, []row) {
	t.Helper()
	key := sshtest.NewKey(t)
	signUp(t, s, key, name, email)
	c := s.dial(t, key)
	return key, c, connectShop(t, s, c)
}

// connectShop connects the demo shop for the account of c the way a seller
// does: the link from the Stores screen, opened in a browser.
func connectShop(t testing.TB, s *server, c *gossh.Client) []row {
	t.Helper()
	connectSeller(t, c, "")

	// The connect queued a full sync: wait for it to finish (listings,
	// then receipts), so tests start from a settled shop.
	deadline := time.Now().Add(30 * time.Second)
	for {
		runs := decode[[]struct {
			Kind       string  `json:"kind"`
			Result     string  `json:"result"`
			FinishedAt *string `json:"finished_at"`
		}](t, run(t, c, "sync log --format json", ""))
		for _, run := range runs {
			if run.Kind == "full" && run.FinishedAt != nil {
				if run.Result != "ok" {
					t.Fatalf("first sync: %+v; log:\n%s", run, s.logs)
				}
				return inventory(t, c)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no finished sync 30s after connecting: %+v; log:\n%s", runs, s.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// connectSeller connects the shop of the sandbox's seller userID (its
// first seller when "") from the Stores screen, and returns once the
// session shows the shop: its first sync is queued then.
func connectSeller(t testing.TB, c *gossh.Client, userID string) {
	t.Helper()
	tm := openTerm(t, c, "stores", 200, 60)
	tm.waitFor(t, tabBar, 10*time.Second)
	tm.send(t, "c")
	sc := tm.waitFor(t, "Waiting for Etsy", 10*time.Second)
	link := linkOnScreen(t, sc)
	browserConnectAs(t, link, userID)
	// Once connected, the session moves to the new shop by itself.
	tm.waitFor(t, "DemoShop", 10*time.Second)
	tm.send(t, "q")
}

// linkOnScreen joins the lines the Stores screen broke the link into.
func linkOnScreen(t testing.TB, screen string) string {
	t.Helper()
	lines := strings.Split(screen, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
			continue
		}
		var b strings.Builder
		for _, more := range lines[i:] {
			more = strings.TrimSpace(more)
			if more == "" {
				break
			}
			b.WriteString(more)
		}
		return b.String()
	}
	t.Fatalf("no link on the screen:\n%s", screen)
	return ""
}

// browser is an HTTP client that keeps cookies and follows redirects, as a
// browser does.
func newBrowser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

var (
	formAction  = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenField = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
	sellerRadio = regexp.MustCompile(`name="user_id" value="(\d+)"`)
)

// page is a fetched HTML page and where it ended up after redirects.
type page struct {
	url    *url.URL
	status int
	body   string
}

func fetch(t testing.TB, b *http.Client, req *http.Request) page {
	t.Helper()
	resp, err := b.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Redacted(), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{url: resp.Request.URL, status: resp.StatusCode, body: string(body)}
}

func get(t testing.TB, b *http.Client, u string) page {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	return fetch(t, b, req)
}

// submit posts the page's form with its hidden fields plus extra.
func (p page) submit(t testing.TB, b *http.Client, extra map[string]string) page {
	t.Helper()
	m := formAction.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no form on %s:\n%s", p.url.Redacted(), p.body)
	}
	action, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(p.body, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	for k, v := range extra {
		form.Set(k, v)
	}
	req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return fetch(t, b, req)
}

// browserConnect opens the authorization link, allows access as the
// sandbox's first seller, and confirms the connection on Stockroom's page.
func browserConnect(t testing.TB, link string) {
	t.Helper()
	browserConnectAs(t, link, "")
}

// browserConnectAs is browserConnect as the sandbox's seller userID (its
// first when "").
func browserConnectAs(t testing.TB, link, userID string) {
	t.Helper()
	b := newBrowser(t)
	authz := get(t, b, link)
	if authz.status != http.StatusOK {
		t.Fatalf("authorize page: %d\n%s", authz.status, authz.body)
	}
	seller := sellerRadio.FindStringSubmatch(authz.body)
	if seller == nil {
		t.Fatalf("no seller on the authorize page:\n%s", authz.body)
	}
	if userID == "" {
		userID = seller[1]
	}
	confirm := authz.submit(t, b, map[string]string{"decision": "allow", "user_id": userID})
	if confirm.status != http.StatusOK || confirm.url.Path != "/oauth/confirm" {
		t.Fatalf("after allow: %d at %s\n%s", confirm.status, confirm.url.Path, confirm.body)
	}
	done := confirm.submit(t, b, map[string]string{"action": "connect"})
	if done.status != http.StatusOK || !strings.Contains(done.body, "Connected") {
		t.Fatalf("after confirm: %d at %s\n%s", done.status, done.url.Path, done.body)
	}
}

// sandboxAdmin posts req to the sandbox's admin route /_sandbox/<route>,
// as a seller or buyer acting on Etsy.com would; what names the act in a
// failure.
func (s *server) sandboxAdmin(t testing.TB, route string, req any, what string) {
	t.Helper()
	body, _ := json.Marshal(req)
	resp, err := http.Post("http://"+s.sbxAddr+"/_sandbox/"+route, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s on the sandbox: %s %s", what, resp.Status, msg)
	}
}

// sandboxToken gets a token of the demo shop's seller straight from the
// sandbox, as a second app install would, so a test can read Etsy's side.
func sandboxToken(t testing.TB, s *server) string {
	t.Helper()
	base := "http://" + s.sbxAddr
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	redirect := "http://" + s.httpAddr + "/oauth/callback"
	q := url.Values{"response_type": {"code"}, "client_id": {"stockroomdemo"}, "redirect_uri": {redirect},
		"scope": {"listings_r"}, "state": {"e2e-read"}, "code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"}}
	b := newBrowser(t)
	// Stop at the redirect: the code is for this test, not the server.
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	authz := get(t, b, base+"/oauth/connect?"+q.Encode())
	seller := sellerRadio.FindStringSubmatch(authz.body)
	if seller == nil {
		t.Fatalf("no seller on the authorize page:\n%s", authz.body)
	}
	m := formAction.FindStringSubmatch(authz.body)
	form := url.Values{}
	for _, f := range hiddenField.FindAllStringSubmatch(authz.body, -1) {
		form.Set(html.UnescapeString(f[1]), html.UnescapeString(f[2]))
	}
	form.Set("decision", "allow")
	form.Set("user_id", seller[1])
	resp, err := b.PostForm(base+html.UnescapeString(m[1]), form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("allow answered %s, Location %q", resp.Status, resp.Header.Get("Location"))
	}
	resp, err = http.PostForm(base+"/v3/public/oauth/token", url.Values{"grant_type": {"authorization_code"},
		"client_id": {"stockroomdemo"}, "redirect_uri": {redirect}, "code": {loc.Query().Get("code")},
		"code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("token: %s, %v", resp.Status, err)
	}
	return tok.AccessToken
}

// etsyQuantities reads a listing's quantities per SKU on the sandbox.
func etsyQuantities(t testing.TB, s *server, token string, listingID int64) map[string]int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("http://%s/v3/application/listings/%d/inventory", s.sbxAddr, listingID), nil)
	req.Header.Set("x-api-key", demoAPIKey)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var inv struct {
		Products []struct {
			SKU       string `json:"sku"`
			Offerings []struct {
				Quantity int `json:"quantity"`
			} `json:"offerings"`
		} `json:"products"`
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("sandbox inventory: %s %s", resp.Status, body)
	}
	if err := json.NewDecoder(resp.Body).Decode(&inv); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, p := range inv.Products {
		for _, o := range p.Offerings {
			out[p.SKU] = o.Quantity
		}
	}
	return out
}

// openDB opens the server's SQLite file; the server keeps running.
func openDB(t testing.TB, s *server, readOnly bool) *sql.DB {
	t.Helper()
	dsn := "file:" + filepath.Join(s.dataDir, "stockroom.db") + "?_pragma=busy_timeout(10000)"
	if readOnly {
		dsn += "&mode=ro"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
