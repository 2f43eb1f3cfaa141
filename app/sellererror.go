// Errors in a seller's words.
package app

import (
	"regexp"
	"strings"
)

// SellerError words an error that reached a seller's screen: a sync's,
// a push's or a store's last error, kept as text in the database. The
// chain Go's wrapping builds ("etsy: refresh access token: vault: store
// needs to be connected again: etsy: authorization revoked…") is for the
// log; a seller needs what happened and what to do. Known causes get a
// sentence naming the shop; anything else is returned as it is.
func SellerError(text, storeName string) string {
	if text == "" {
		return ""
	}
	l := strings.ToLower(text)
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	}
	switch {
	case has("authorization revoked", "needs to be connected again", "must be connected again", "invalid_grant"):
		shop := storeName
		if shop == "" {
			shop = "the shop"
		}
		return "Etsy access was revoked: press c to connect " + shop + " again"
	case has("daily rate limit"):
		return "Etsy's daily call limit for this shop is spent: Stockroom carries on by itself when it resets"
	case has("rate limit"):
		return "Etsy asked Stockroom to slow down: it retries by itself"
	case has("temporary failure"):
		status := ""
		if m := httpStatus.FindString(text); m != "" {
			status = " (" + m + ")"
		}
		return "Etsy did not answer" + status + ": Stockroom retries by itself"
	case has("every offering would have quantity 0"):
		return "Etsy refuses a listing whose every variation is at 0: deactivate it on Etsy instead"
	case has("quantity must be between 0 and 999"):
		return "Etsy accepts quantities from 0 to 999 only"
	}
	return text
}

var httpStatus = regexp.MustCompile(`HTTP \d{3}`)
