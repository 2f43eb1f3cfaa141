package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/stockroom/stockroom/store"
)

const accountCols = `id, name, email, is_admin, disabled, telegram_chat_id, notify_email, notify_telegram, notify_digest, created_at,
	whatsapp_number, notify_whatsapp, digest_hour, time_zone`

func scanAccount(r Row) (store.Account, error) {
	var a store.Account
	var created int64
	err := r.Scan(&a.ID, &a.Name, &a.Email, &a.IsAdmin, &a.Disabled, &a.TelegramChatID,
		&a.NotifyEmail, &a.NotifyTelegram, &a.NotifyDigest, &created, &a.WhatsAppNumber, &a.NotifyWhatsApp, &a.DigestHour, &a.TimeZone)
	a.CreatedAt = fromMS(created)
	return a, err
}

func (s *Store) AccountCreate(ctx context.Context, p *store.AccountCreateParams) (store.Account, error) {
	var a store.Account
	err := s.d.InTx(ctx, func(tx Tx) error {
		var err error
		a, err = accountCreate(ctx, tx, p)
		return err
	})
	return a, s.err("account create", err)
}

// accountCreate inserts an account and its first key on q, which must be a
// transaction.
func accountCreate(ctx context.Context, q Querier, p *store.AccountCreateParams) (store.Account, error) {
	t := ms(now(p.Now))
	a, err := scanAccount(q.QueryRow(ctx, `INSERT INTO accounts (name, email, is_admin, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4) RETURNING `+accountCols, p.Name, p.Email, p.IsAdmin, t))
	if err != nil {
		return a, err
	}
	_, err = q.Exec(ctx, `INSERT INTO account_keys (account_id, fingerprint, public_key, comment, created_at)
		VALUES ($1, $2, $3, $4, $5)`, a.ID, p.Fingerprint, p.PublicKey, p.Comment, t)
	return a, err
}

func (s *Store) AccountGetByID(ctx context.Context, id int64) (store.Account, error) {
	a, err := scanAccount(s.d.QueryRow(ctx, `SELECT `+accountCols+` FROM accounts WHERE id = $1`, id))
	return a, s.err("account get", err)
}

func (s *Store) AccountGetByFingerprint(ctx context.Context, fp string) (store.Account, error) {
	a, err := scanAccount(s.d.QueryRow(ctx, `SELECT a.id, a.name, a.email, a.is_admin, a.disabled, a.telegram_chat_id,
		a.notify_email, a.notify_telegram, a.notify_digest, a.created_at, a.whatsapp_number, a.notify_whatsapp,
		a.digest_hour, a.time_zone FROM accounts a JOIN account_keys k ON k.account_id = a.id WHERE k.fingerprint = $1`, fp))
	return a, s.err("account get by key", err)
}

func (s *Store) AccountList(ctx context.Context) ([]store.Account, error) {
	return queryAll(ctx, s, s.d, "account list", scanAccount, `SELECT `+accountCols+` FROM accounts ORDER BY id`)
}

func (s *Store) AccountUpdate(ctx context.Context, p *store.AccountUpdateParams) (store.Account, error) {
	a, err := scanAccount(s.d.QueryRow(ctx, accountUpdateSQL, p.ID, ms(now(p.Now)), p.Name, p.Email, p.TelegramChatID,
		p.NotifyEmail, p.NotifyTelegram, p.NotifyDigest, p.WhatsAppNumber, p.NotifyWhatsApp, p.DigestHour, p.TimeZone))
	return a, s.err("account update", err)
}

var accountUpdateSQL = `UPDATE accounts SET updated_at = $2, ` + keepNull(3, "name", "email", "telegram_chat_id",
	"notify_email", "notify_telegram", "notify_digest", "whatsapp_number", "notify_whatsapp", "digest_hour", "time_zone") +
	` WHERE id = $1 RETURNING ` + accountCols

func (s *Store) AccountSetDisabled(ctx context.Context, id int64, disabled bool) error {
	return s.execOne(ctx, "account disable", `UPDATE accounts SET disabled = $2 WHERE id = $1`, id, disabled)
}

func (s *Store) AccountSetAdmin(ctx context.Context, id int64, admin bool) error {
	return s.execOne(ctx, "account admin", `UPDATE accounts SET is_admin = $2 WHERE id = $1`, id, admin)
}

// execOne runs an update that must touch exactly one row.
func (s *Store) execOne(ctx context.Context, op, q string, args ...any) error {
	n, err := s.d.Exec(ctx, q, args...)
	if err != nil {
		return s.err(op, err)
	}
	if n == 0 {
		return s.err(op, store.ErrNotFound)
	}
	return nil
}

const keyCols = `id, account_id, fingerprint, public_key, comment, created_at, last_used_at`

func scanKey(r Row) (store.Key, error) {
	var k store.Key
	var created, used int64
	err := r.Scan(&k.ID, &k.AccountID, &k.Fingerprint, &k.PublicKey, &k.Comment, &created, &used)
	k.CreatedAt, k.LastUsedAt = fromMS(created), fromMS(used)
	return k, err
}

func (s *Store) KeyList(ctx context.Context, accountID int64) ([]store.Key, error) {
	return queryAll(ctx, s, s.d, "key list", scanKey, `SELECT `+keyCols+` FROM account_keys WHERE account_id = $1 ORDER BY id`, accountID)
}

func (s *Store) KeyAdd(ctx context.Context, p *store.KeyAddParams) (store.Key, error) {
	k, err := keyAdd(ctx, s.d, p)
	return k, s.err("key add", err)
}

func keyAdd(ctx context.Context, q Querier, p *store.KeyAddParams) (store.Key, error) {
	return scanKey(q.QueryRow(ctx, `INSERT INTO account_keys (account_id, fingerprint, public_key, comment, created_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING `+keyCols, p.AccountID, p.Fingerprint, p.PublicKey, p.Comment, ms(now(p.Now))))
}

func (s *Store) KeyRemove(ctx context.Context, p *store.KeyRemoveParams) error {
	err := s.d.InTx(ctx, func(tx Tx) error {
		// Touching the account row first makes concurrent removals of the
		// same account's keys take turns (a row lock in PostgreSQL, the
		// write lock in SQLite), so two removals cannot both see "two keys
		// left" and leave none.
		n, err := tx.Exec(ctx, `UPDATE accounts SET updated_at = updated_at WHERE id = $1`, p.AccountID)
		if err != nil {
			return err
		}
		if n == 0 {
			return store.ErrNotFound
		}
		var owner int64
		if err := tx.QueryRow(ctx, `SELECT account_id FROM account_keys WHERE id = $1 AND account_id = $2`, p.KeyID, p.AccountID).Scan(&owner); err != nil {
			return err
		}
		var keys int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM account_keys WHERE account_id = $1`, p.AccountID).Scan(&keys); err != nil {
			return err
		}
		if keys <= 1 {
			return store.ErrLastKey
		}
		_, err = tx.Exec(ctx, `DELETE FROM account_keys WHERE id = $1 AND account_id = $2`, p.KeyID, p.AccountID)
		return err
	})
	return s.err("key remove", err)
}

func (s *Store) KeyTouch(ctx context.Context, fp string, at time.Time) error {
	_, err := s.d.Exec(ctx, `UPDATE account_keys SET last_used_at = $2 WHERE fingerprint = $1`, fp, ms(at))
	return s.err("key touch", err)
}

// keyTouchesPerStatement bounds the keys of one KeyTouchMany statement.
const keyTouchesPerStatement = 64

// KeyTouchMany writes a burst of logins' key uses in one statement rather
// than one each: on PostgreSQL each statement outside a transaction is a
// commit, and 50 staff logging in at once made 50 of them beside their
// sessions' reads. A batch is padded to a power of two (repeating its last
// key) so that a connection prepares a few shapes of the statement, not
// one per size.
func (s *Store) KeyTouchMany(ctx context.Context, uses []store.KeyUse) error {
	for chunk := range slices.Chunk(uses, keyTouchesPerStatement) {
		n := 1
		for n < len(chunk) {
			n *= 2
		}
		args := make([]any, 0, 2*n)
		var cases, in strings.Builder
		for i := range n {
			u := chunk[min(i, len(chunk)-1)]
			fmt.Fprintf(&cases, " WHEN $%d THEN CAST($%d AS BIGINT)", 2*i+1, 2*i+2)
			if i > 0 {
				in.WriteByte(',')
			}
			fmt.Fprintf(&in, "$%d", 2*i+1)
			args = append(args, u.Fingerprint, ms(u.At))
		}
		if _, err := s.d.Exec(ctx, `UPDATE account_keys SET last_used_at = CASE fingerprint`+cases.String()+` END
			WHERE fingerprint IN (`+in.String()+`)`, args...); err != nil {
			return s.err("key touch", err)
		}
	}
	return nil
}
