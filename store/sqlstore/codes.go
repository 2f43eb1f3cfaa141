package sqlstore

import (
	"context"
	"errors"
	"slices"

	"github.com/stockroom/stockroom/store"
)

const codeCols = `id, kind, account_id, COALESCE(store_id, 0), COALESCE(role, ''), created_at, expires_at, used_at,
	COALESCE(used_by, 0), revoked_at`

func scanCode(r Row) (store.Code, error) {
	var c store.Code
	var created, expires, used, revoked int64
	err := r.Scan(&c.ID, &c.Kind, &c.AccountID, &c.StoreID, &c.Role, &created, &expires, &used, &c.UsedBy, &revoked)
	c.CreatedAt, c.ExpiresAt, c.UsedAt, c.RevokedAt = fromMS(created), fromMS(expires), fromMS(used), fromMS(revoked)
	return c, err
}

// nullIf0 stores 0 and "" as NULL, for the optional references of a code.
func nullIf0[T comparable](v T) any {
	var zero T
	if v == zero {
		return nil
	}
	return v
}

func (s *Store) CodeCreate(ctx context.Context, p *store.CodeCreateParams) (store.Code, error) {
	const op = "code create"
	if !p.Kind.Valid() {
		return store.Code{}, s.err(op, errors.Join(store.ErrInvalid, errors.New("unknown kind of code")))
	}
	if (p.Kind == store.CodeStoreInvite) != (p.StoreID != 0 && p.Role != "") {
		return store.Code{}, s.err(op, errors.Join(store.ErrInvalid, errors.New("a store invite, and only it, names a store and a role")))
	}
	h, err := store.CodeHash(p.Code)
	if err != nil {
		return store.Code{}, s.err(op, err)
	}
	t := ms(now(p.Now))
	if p.ExpiresAt.IsZero() || ms(p.ExpiresAt) <= t {
		return store.Code{}, s.err(op, errors.Join(store.ErrInvalid, errors.New("a code needs an expiry in the future")))
	}
	var c store.Code
	err = s.d.InTx(ctx, func(tx Tx) error {
		old := t - store.CodeKeep.Milliseconds()
		if _, err := tx.Exec(ctx, `DELETE FROM codes WHERE expires_at <= $1 OR (used_at > 0 AND used_at <= $1)
			OR (revoked_at > 0 AND revoked_at <= $1)`, old); err != nil {
			return err
		}
		var err error
		c, err = scanCode(tx.QueryRow(ctx, `INSERT INTO codes (kind, code_hash, account_id, store_id, role, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING `+codeCols,
			string(p.Kind), h, p.AccountID, nullIf0(p.StoreID), nullIf0(string(p.Role)), t, ms(p.ExpiresAt)))
		return err
	})
	return c, s.err(op, err)
}

func (s *Store) CodeRedeem(ctx context.Context, p *store.CodeRedeemParams) (store.CodeRedemption, error) {
	const op = "code redeem"
	var r store.CodeRedemption
	h, err := store.CodeHash(p.Code)
	if err != nil {
		return r, s.err(op, errors.Join(store.ErrNotFound, err))
	}
	t := ms(now(p.Now))
	err = s.d.InTx(ctx, func(tx Tx) error {
		// The conditional update is the single-use guarantee: a concurrent
		// redemption waits on the row (PostgreSQL) or the write lock
		// (SQLite) and then finds used_at set.
		c, err := scanCode(tx.QueryRow(ctx, `UPDATE codes SET used_at = $2
			WHERE code_hash = $1 AND used_at = 0 AND revoked_at = 0 AND expires_at > $2 RETURNING `+codeCols, h, t))
		if s.isNotFound(err) {
			return s.codeWhyNot(ctx, tx, h, p.Kinds, t)
		}
		if err != nil {
			return err
		}
		if len(p.Kinds) > 0 && !slices.Contains(p.Kinds, c.Kind) {
			return store.ErrNotFound // rolled back: the code stays unspent
		}
		issuer, err := scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, c.AccountID))
		if err != nil {
			return err
		}
		if issuer.Disabled {
			return store.ErrForbidden
		}
		r.Code = c
		if err := s.codeGrant(ctx, tx, p, &r, issuer); err != nil {
			return err
		}
		r.Code.UsedAt, r.Code.UsedBy = fromMS(t), r.Account.ID
		_, err = tx.Exec(ctx, `UPDATE codes SET used_by = $2 WHERE id = $1`, c.ID, r.Account.ID)
		return err
	})
	if err != nil {
		return store.CodeRedemption{}, s.err(op, err)
	}
	return r, nil
}

// codeGrant applies what a code grants, inside its redemption.
func (s *Store) codeGrant(ctx context.Context, tx Tx, p *store.CodeRedeemParams, r *store.CodeRedemption, issuer store.Account) error {
	var err error
	switch r.Code.Kind {
	case store.CodeKeyLink:
		if p.Key == nil {
			return errors.Join(store.ErrInvalid, errors.New("a key link needs the key to link"))
		}
		k := *p.Key
		k.AccountID = issuer.ID
		r.Account = issuer
		r.Key, err = keyAdd(ctx, tx, &k)
		return err
	case store.CodeAccountInvite:
		if p.Account == nil {
			return errors.Join(store.ErrInvalid, errors.New("an account invite needs the account to create"))
		}
		r.Account, err = accountCreate(ctx, tx, p.Account)
		return err
	case store.CodeStoreInvite:
		switch {
		case p.AccountID != 0:
			r.Account, err = scanAccount(tx.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, p.AccountID))
			if err == nil && r.Account.Disabled {
				err = store.ErrForbidden
			}
		case p.Account != nil:
			r.Account, err = accountCreate(ctx, tx, p.Account)
		default:
			err = errors.Join(store.ErrInvalid, errors.New("a store invite needs the account that joins"))
		}
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO memberships (account_id, store_id, role, created_at) VALUES ($1, $2, $3, $4)`,
			r.Account.ID, r.Code.StoreID, string(r.Code.Role), ms(now(p.Now)))
		return err
	}
	return store.ErrInvalid
}

// codeWhyNot tells why a code could not be spent.
func (s *Store) codeWhyNot(ctx context.Context, tx Tx, hash string, kinds []store.CodeKind, t int64) error {
	var kind store.CodeKind
	var expires, used, revoked int64
	err := tx.QueryRow(ctx, `SELECT kind, expires_at, used_at, revoked_at FROM codes WHERE code_hash = $1`, hash).
		Scan(&kind, &expires, &used, &revoked)
	switch {
	case err != nil:
		return err
	case revoked > 0 || len(kinds) > 0 && !slices.Contains(kinds, kind):
		return store.ErrNotFound
	case used > 0:
		return store.ErrUsed
	case expires <= t:
		return store.ErrExpired
	}
	return store.ErrNotFound
}

func (s *Store) CodeRevoke(ctx context.Context, p *store.CodeRevokeParams) (store.Code, error) {
	const op = "code revoke"
	var c store.Code
	err := s.d.InTx(ctx, func(tx Tx) error {
		var err error
		c, err = scanCode(tx.QueryRow(ctx, `SELECT `+codeCols+` FROM codes WHERE id = $1`, p.ID))
		if err != nil {
			return err
		}
		switch {
		case p.AccountID != 0 && c.AccountID != p.AccountID:
			return store.ErrNotFound
		case !c.RevokedAt.IsZero():
			return nil
		case !c.UsedAt.IsZero():
			return store.ErrUsed
		}
		c, err = scanCode(tx.QueryRow(ctx, `UPDATE codes SET revoked_at = $2 WHERE id = $1 AND used_at = 0 RETURNING `+codeCols,
			p.ID, ms(now(p.Now))))
		if s.isNotFound(err) {
			return store.ErrUsed
		}
		return err
	})
	if err != nil {
		return store.Code{}, s.err(op, err)
	}
	return c, nil
}

func (s *Store) CodeList(ctx context.Context, p *store.CodeListParams) ([]store.Code, error) {
	return queryAll(ctx, s, s.d, "code list", scanCode, `SELECT `+codeCols+` FROM codes
		WHERE (CAST($1 AS BIGINT) = 0 OR account_id = $1) AND (CAST($2 AS TEXT) = '' OR kind = $2)
			AND (CAST($3 AS BIGINT) = 0 OR store_id = $3)
			AND ($4 = FALSE OR (used_at = 0 AND revoked_at = 0 AND expires_at > $5))
		ORDER BY id DESC`, p.AccountID, string(p.Kind), p.StoreID, p.Pending, ms(now(p.Now)))
}

func (s *Store) CodeAttemptAdd(ctx context.Context, p *store.CodeAttemptAddParams) ([]int, error) {
	t := ms(now(p.Now))
	counts := make([]int, len(p.Buckets))
	err := s.d.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM code_attempts WHERE created_at < $1`, ms(p.Since)); err != nil {
			return err
		}
		for i, b := range p.Buckets {
			if _, err := tx.Exec(ctx, `INSERT INTO code_attempts (bucket, created_at) VALUES ($1, $2)`, b, t); err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM code_attempts WHERE bucket = $1 AND created_at >= $2`,
				b, ms(p.Since)).Scan(&counts[i]); err != nil {
				return err
			}
		}
		return nil
	})
	return counts, s.err("code attempt add", err)
}
