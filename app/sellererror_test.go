package app

import (
	"fmt"
	"testing"

	"github.com/stockroom/stockroom/etsy"
	"github.com/stockroom/stockroom/vault"
)

// Issue 17: errors reached sellers as a chain of package prefixes.
func TestSellerErrorWords(t *testing.T) {
	raw := fmt.Errorf("etsy: refresh access token: %w", fmt.Errorf("%w: %w", vault.ErrNeedsReauth, etsy.ErrRevoked)).Error()
	cases := []struct{ in, want string }{
		{raw, "Etsy access was revoked: press c to connect DemoShop1 again"},
		{"etsy: insufficient scope, the shop must be connected again", "Etsy access was revoked: press c to connect DemoShop1 again"},
		{"sync: listings: etsy: daily rate limit reached, retry after 3h0m0s", "Etsy's daily call limit for this shop is spent: Stockroom carries on by itself when it resets"},
		{"push: etsy: per-second rate limit reached, retry after 1s", "Etsy asked Stockroom to slow down: it retries by itself"},
		{"etsy: temporary failure (HTTP 503) [request abc]", "Etsy did not answer (HTTP 503): Stockroom retries by itself"},
		{"etsy: every offering would have quantity 0; deactivate the listing instead", "Etsy refuses a listing whose every variation is at 0: deactivate it on Etsy instead"},
		{"something odd", "something odd"},
		{"", ""},
	}
	for _, c := range cases {
		if got := SellerError(c.in, "DemoShop1"); got != c.want {
			t.Errorf("SellerError(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
