package sqlstore

import (
	"context"
	"crypto/subtle"
	"time"

	"github.com/stockroom/stockroom/store"
)

const oauthCols = `state, account_id, key_fingerprint, code_verifier, created_at, expires_at, consumed_at, confirm_token,
	shop_id, shop_name, etsy_user_id, currency, access_token, refresh_token, token_expires_at, completed_at, store_id, error`

func scanOAuth(r Row) (store.OAuthState, error) {
	var o store.OAuthState
	var created, expires, consumed, tokExp, completed int64
	err := r.Scan(&o.State, &o.AccountID, &o.KeyFingerprint, &o.CodeVerifier, &created, &expires, &consumed, &o.ConfirmToken,
		&o.ShopID, &o.ShopName, &o.EtsyUserID, &o.Currency, &o.AccessToken, &o.RefreshToken, &tokExp, &completed, &o.StoreID, &o.Error)
	o.CreatedAt, o.ExpiresAt, o.ConsumedAt = fromMS(created), fromMS(expires), fromMS(consumed)
	o.TokenExpiresAt, o.CompletedAt = fromMS(tokExp), fromMS(completed)
	return o, err
}

func (s *Store) OAuthStateCreate(ctx context.Context, o *store.OAuthState) error {
	_, err := s.d.Exec(ctx, `INSERT INTO oauth_states (state, account_id, key_fingerprint, code_verifier, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, o.State, o.AccountID, o.KeyFingerprint, o.CodeVerifier, ms(now(o.CreatedAt)), ms(o.ExpiresAt))
	return s.err("oauth state create", err)
}

func (s *Store) OAuthStateGet(ctx context.Context, state string) (store.OAuthState, error) {
	o, err := scanOAuth(s.d.QueryRow(ctx, `SELECT `+oauthCols+` FROM oauth_states WHERE state = $1`, state))
	return o, s.err("oauth state get", err)
}

func (s *Store) OAuthStateConsume(ctx context.Context, state string, at time.Time) (store.OAuthState, error) {
	o, err := scanOAuth(s.d.QueryRow(ctx, `UPDATE oauth_states SET consumed_at = $2
		WHERE state = $1 AND consumed_at = 0 AND expires_at > $2 RETURNING `+oauthCols, state, ms(at)))
	if err == nil {
		return o, nil
	}
	if !s.isNotFound(err) {
		return o, s.err("oauth state consume", err)
	}
	// Say why: unknown, already used, or too old.
	cur, gerr := s.OAuthStateGet(ctx, state)
	switch {
	case gerr != nil:
		return o, gerr
	case !cur.ConsumedAt.IsZero():
		return cur, s.err("oauth state consume", store.ErrUsed)
	default:
		return cur, s.err("oauth state consume", store.ErrExpired)
	}
}

func (s *Store) OAuthStateSetPending(ctx context.Context, o *store.OAuthState) error {
	return s.execOne(ctx, "oauth state pending", `UPDATE oauth_states SET confirm_token = $2, shop_id = $3, shop_name = $4,
		etsy_user_id = $5, currency = $6, access_token = $7, refresh_token = $8, token_expires_at = $9
		WHERE state = $1 AND completed_at = 0 AND error = ''`,
		o.State, o.ConfirmToken, o.ShopID, o.ShopName, o.EtsyUserID, o.Currency, o.AccessToken, o.RefreshToken, ms(o.TokenExpiresAt))
}

func (s *Store) OAuthStateComplete(ctx context.Context, p *store.OAuthStateCompleteParams) (store.Store, error) {
	var st store.Store
	err := s.d.InTx(ctx, func(tx Tx) error {
		o, err := scanOAuth(tx.QueryRow(ctx, `SELECT `+oauthCols+` FROM oauth_states WHERE state = $1`, p.State))
		if err != nil {
			return err
		}
		switch {
		case o.ConfirmToken == "" || subtle.ConstantTimeCompare([]byte(o.ConfirmToken), []byte(p.ConfirmToken)) != 1:
			return store.ErrForbidden
		case !o.CompletedAt.IsZero() || o.Error != "":
			return store.ErrUsed
		case !o.ExpiresAt.After(now(p.Now)):
			return store.ErrExpired
		}
		access, refresh := o.AccessToken, o.RefreshToken
		if p.Reseal != nil {
			if access, refresh, err = p.Reseal(o.AccessToken, o.RefreshToken, o.ShopID); err != nil {
				return err
			}
		}
		st, err = s.storeConnect(ctx, tx, &store.StoreConnectParams{
			AccountID: o.AccountID, EtsyShopID: o.ShopID, EtsyUserID: o.EtsyUserID, Name: o.ShopName, Currency: o.Currency,
			IsSandbox: p.IsSandbox, AccessToken: access, RefreshToken: refresh, TokenExpiresAt: o.TokenExpiresAt, Now: p.Now,
		})
		if err != nil {
			return err
		}
		// The sealed tokens leave the state row once they live in the store.
		n, err := tx.Exec(ctx, `UPDATE oauth_states SET completed_at = $2, store_id = $3, access_token = NULL, refresh_token = NULL
			WHERE state = $1 AND completed_at = 0`, p.State, ms(now(p.Now)), st.ID)
		if err == nil && n != 1 {
			return store.ErrUsed
		}
		return err
	})
	return st, s.err("oauth state complete", err)
}

func (s *Store) OAuthStateFail(ctx context.Context, state, message string, at time.Time) error {
	_, err := s.d.Exec(ctx, `UPDATE oauth_states SET error = $2, consumed_at = CASE WHEN consumed_at = 0 THEN $3 ELSE consumed_at END,
		access_token = NULL, refresh_token = NULL WHERE state = $1 AND completed_at = 0`, state, message, ms(at))
	return s.err("oauth state fail", err)
}

func (s *Store) OAuthStateDeleteExpired(ctx context.Context, before time.Time) (int, error) {
	n, err := s.d.Exec(ctx, `DELETE FROM oauth_states WHERE expires_at < $1`, ms(before))
	return int(n), s.err("oauth state cleanup", err)
}
