package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"

	"github.com/stockroom/stockroom/store"
)

// linkCodeHash is what the database keeps of a code: the code as the bot
// may receive it (any case, with spaces or dashes) hashes to one value.
func linkCodeHash(code string) (string, error) {
	norm := strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.ToUpper(strings.TrimSpace(code)))
	if norm == "" || len(norm) > 64 {
		return "", errors.Join(store.ErrInvalid, errors.New("a link code is 1 to 64 characters"))
	}
	sum := sha256.Sum256([]byte(norm))
	return hex.EncodeToString(sum[:]), nil
}

func (s *Store) TelegramLinkCodeCreate(ctx context.Context, p *store.TelegramLinkCodeCreateParams) error {
	const op = "telegram link code create"
	h, err := linkCodeHash(p.Code)
	if err != nil {
		return s.err(op, err)
	}
	t := ms(now(p.Now))
	if p.ExpiresAt.IsZero() || ms(p.ExpiresAt) <= t {
		return s.err(op, errors.Join(store.ErrInvalid, errors.New("a link code needs an expiry in the future")))
	}
	return s.err(op, s.d.InTx(ctx, func(tx Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM telegram_link_codes WHERE expires_at <= $1`, t); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO telegram_link_codes (account_id, code_hash, expires_at, created_at)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (account_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at,
				created_at = excluded.created_at`, p.AccountID, h, ms(p.ExpiresAt), t)
		return err
	}))
}

func (s *Store) TelegramLinkCodeUse(ctx context.Context, p *store.TelegramLinkCodeUseParams) (store.Account, error) {
	const op = "telegram link code use"
	var a store.Account
	h, err := linkCodeHash(p.Code)
	if err != nil {
		return a, s.err(op, errors.Join(store.ErrNotFound, err))
	}
	if strings.TrimSpace(p.ChatID) == "" {
		return a, s.err(op, errors.Join(store.ErrInvalid, errors.New("no chat to link")))
	}
	t := ms(now(p.Now))
	var expired bool
	err = s.d.InTx(ctx, func(tx Tx) error {
		var accountID, expires int64
		// Spent whatever follows: a code is tried once.
		err := tx.QueryRow(ctx, `DELETE FROM telegram_link_codes WHERE code_hash = $1 RETURNING account_id, expires_at`, h).
			Scan(&accountID, &expires)
		if err != nil {
			return err
		}
		if expires <= t {
			expired = true
			return nil
		}
		a, err = scanAccount(tx.QueryRow(ctx, `UPDATE accounts SET telegram_chat_id = $2, updated_at = $3
			WHERE id = $1 AND disabled = $4 RETURNING `+accountCols, accountID, strings.TrimSpace(p.ChatID), t, false))
		if s.isNotFound(err) {
			return store.ErrForbidden
		}
		return err
	})
	if err == nil && expired {
		err = store.ErrExpired
	}
	return a, s.err(op, err)
}
