package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/stockroom/stockroom/store"
)

const storeCols = `s.id, s.etsy_shop_id, s.etsy_user_id, s.name, s.currency, s.status, s.is_sandbox, s.token_expires_at,
	s.sync_interval_sec, s.zero_policy, s.low_stock_default, s.target_cover_days, s.receipts_cursor, s.last_sync_at, s.last_full_sync_at,
	s.last_error, s.created_at, s.sales_version, s.runs_out_days`

// storeReturning is storeCols for RETURNING, where SQLite refuses
// table-qualified names.
var storeReturning = strings.ReplaceAll(storeCols, "s.", "")

func scanStore(r Row, extra ...any) (store.Store, error) {
	var st store.Store
	var expires, cursor, lastSync, lastFull, created int64
	var interval int
	dest := append([]any{&st.ID, &st.EtsyShopID, &st.EtsyUserID, &st.Name, &st.Currency, &st.Status, &st.IsSandbox,
		&expires, &interval, &st.ZeroPolicy, &st.LowStockDefault, &st.TargetCoverDays, &cursor, &lastSync, &lastFull, &st.LastError, &created,
		&st.SalesVersion, &st.RunsOutDays}, extra...)
	err := r.Scan(dest...)
	st.TokenExpiresAt = fromMS(expires)
	st.SyncInterval = time.Duration(interval) * time.Second
	st.ReceiptsCursor = fromMS(cursor)
	st.LastSyncAt, st.LastFullSyncAt, st.CreatedAt = fromMS(lastSync), fromMS(lastFull), fromMS(created)
	return st, err
}

func (s *Store) StoreConnect(ctx context.Context, p *store.StoreConnectParams) (store.Store, error) {
	var st store.Store
	err := s.d.InTx(ctx, func(tx Tx) error {
		var err error
		st, err = s.storeConnect(ctx, tx, p)
		return err
	})
	return st, s.err("store connect", err)
}

// storeConnect is shared with the OAuth completion, which runs it inside its
// own transaction.
func (s *Store) storeConnect(ctx context.Context, tx Tx, p *store.StoreConnectParams) (store.Store, error) {
	t := ms(now(p.Now))
	// The upsert comes first: it locks the shop's row, so the owner check
	// below sees any connect that committed meanwhile, and two accounts
	// connecting one new shop at once cannot both become its owner. A
	// refused connect rolls the token update back with the transaction.
	st, err := scanStore(tx.QueryRow(ctx, `INSERT INTO stores AS s (etsy_shop_id, etsy_user_id, name, currency, status, is_sandbox,
			access_token, refresh_token, token_expires_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'connected', $5, $6, $7, $8, $9, $9)
		ON CONFLICT (etsy_shop_id) DO UPDATE SET etsy_user_id = excluded.etsy_user_id, name = excluded.name,
			currency = excluded.currency, status = 'connected', access_token = excluded.access_token,
			refresh_token = excluded.refresh_token, token_expires_at = excluded.token_expires_at,
			last_error = '', updated_at = excluded.updated_at
		RETURNING `+storeReturning,
		p.EtsyShopID, p.EtsyUserID, p.Name, p.Currency, p.IsSandbox, p.AccessToken, p.RefreshToken, ms(p.TokenExpiresAt), t))
	if err != nil {
		return st, err
	}
	// Any owner of the shop may connect it again (a store may have
	// several owners); anyone else, even a manager of it, is refused.
	var owners, own int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN account_id = $2 THEN 1 ELSE 0 END), 0)
		FROM memberships WHERE store_id = $1 AND role = 'owner'`, st.ID, p.AccountID).Scan(&owners, &own); err != nil {
		return st, err
	}
	if owners > 0 && own == 0 {
		return store.Store{}, store.ErrShopLinked
	}
	_, err = tx.Exec(ctx, `INSERT INTO memberships (account_id, store_id, role, created_at) VALUES ($1, $2, 'owner', $3)
		ON CONFLICT (account_id, store_id) DO UPDATE SET role = 'owner'`, p.AccountID, st.ID, t)
	return st, err
}

func (s *Store) StoreListForAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	return queryAll(ctx, s, s.d, "store list", scanMemberStore, `SELECT `+storeCols+`, m.role FROM stores s JOIN memberships m ON m.store_id = s.id
		WHERE m.account_id = $1 ORDER BY s.name, s.id`, accountID)
}

func (s *Store) StoreListForActiveAccount(ctx context.Context, accountID int64) ([]store.MemberStore, error) {
	return queryAll(ctx, s, s.d, "store list", scanMemberStore, `SELECT `+storeCols+`, m.role FROM stores s JOIN memberships m ON m.store_id = s.id
		JOIN accounts a ON a.id = m.account_id WHERE m.account_id = $1 AND a.disabled = $2 ORDER BY s.name, s.id`, accountID, false)
}

func (s *Store) StoreGetForAccount(ctx context.Context, accountID, storeID int64) (store.MemberStore, error) {
	m, err := scanMemberStore(s.d.QueryRow(ctx, `SELECT `+storeCols+`, m.role FROM stores s JOIN memberships m ON m.store_id = s.id
		WHERE m.account_id = $1 AND s.id = $2`, accountID, storeID))
	return m, s.err("store get", err)
}

// scanMemberStore reads storeCols followed by the member's role.
func scanMemberStore(r Row) (store.MemberStore, error) {
	var m store.MemberStore
	var err error
	m.Store, err = scanStore(r, &m.Role)
	return m, err
}

func (s *Store) StoreGet(ctx context.Context, storeID int64) (store.Store, error) {
	st, err := scanStore(s.d.QueryRow(ctx, `SELECT `+storeCols+` FROM stores s WHERE s.id = $1`, storeID))
	return st, s.err("store get", err)
}

func (s *Store) StoreList(ctx context.Context) ([]store.Store, error) {
	return queryAll(ctx, s, s.d, "store list", func(r Row) (store.Store, error) { return scanStore(r) },
		`SELECT `+storeCols+` FROM stores s ORDER BY s.id`)
}

func (s *Store) StoreSetStatus(ctx context.Context, p *store.StoreSetStatusParams) error {
	return s.execOne(ctx, "store status", `UPDATE stores SET status = $2, last_error = $3, updated_at = $4 WHERE id = $1`,
		p.StoreID, p.Status, p.LastError, ms(now(p.Now)))
}

func (s *Store) StoreUpdateSettings(ctx context.Context, p *store.StoreUpdateSettingsParams) (store.Store, error) {
	var interval *int64
	if p.SyncInterval != nil {
		v := int64(*p.SyncInterval / time.Second)
		interval = &v
	}
	st, err := scanStore(s.d.QueryRow(ctx, storeSettingsSQL, p.AccountID, p.StoreID, ms(now(p.Now)),
		(*string)(p.ZeroPolicy), p.LowStockDefault, interval, p.TargetCoverDays, p.RunsOutDays))
	return st, s.err("store settings", err)
}

var storeSettingsSQL = `UPDATE stores AS s SET updated_at = $3, ` +
	keepNull(4, "zero_policy", "low_stock_default", "sync_interval_sec", "target_cover_days", "runs_out_days") + `
	WHERE s.id = $2 AND EXISTS (SELECT 1 FROM memberships m WHERE m.store_id = s.id AND m.account_id = $1)
	RETURNING ` + storeReturning

func (s *Store) StoreSetSyncState(ctx context.Context, p *store.StoreSetSyncStateParams) error {
	return s.err("store sync state", setSyncState(ctx, s.d, p))
}

func setSyncState(ctx context.Context, q Querier, p *store.StoreSetSyncStateParams) error {
	opt := func(t *time.Time) *int64 {
		if t == nil {
			return nil
		}
		v := ms(*t)
		return &v
	}
	_, err := q.Exec(ctx, syncStateSQL, p.StoreID, opt(p.ReceiptsCursor), opt(p.LastSyncAt), opt(p.LastFullSyncAt), p.LastError)
	return err
}

var syncStateSQL = `UPDATE stores SET ` + keepNull(2, "receipts_cursor", "last_sync_at", "last_full_sync_at", "last_error") +
	` WHERE id = $1`

func (s *Store) StoreTokensGet(ctx context.Context, storeID int64) (store.StoreTokens, error) {
	var t store.StoreTokens
	var exp int64
	err := s.d.QueryRow(ctx, `SELECT id, etsy_shop_id, status, access_token, refresh_token, token_expires_at FROM stores WHERE id = $1`,
		storeID).Scan(&t.StoreID, &t.EtsyShopID, &t.Status, &t.AccessToken, &t.RefreshToken, &exp)
	t.ExpiresAt = fromMS(exp)
	return t, s.err("store tokens", err)
}

func (s *Store) StoreTokensSave(ctx context.Context, p *store.StoreTokensSaveParams) error {
	t := ms(now(p.Now))
	if p.LeaseOwner == "" {
		return s.execOne(ctx, "store tokens save", `UPDATE stores SET access_token = $2, refresh_token = $3, token_expires_at = $4, updated_at = $5
			WHERE id = $1`, p.StoreID, p.AccessToken, p.RefreshToken, ms(p.ExpiresAt), t)
	}
	n, err := s.d.Exec(ctx, `UPDATE stores SET access_token = $2, refresh_token = $3, token_expires_at = $4, updated_at = $5
		WHERE id = $1 AND token_lease_owner = $6 AND token_lease_until > $5`, p.StoreID, p.AccessToken, p.RefreshToken, ms(p.ExpiresAt), t, p.LeaseOwner)
	if err != nil {
		return s.err("store tokens save", err)
	}
	if n == 0 {
		return s.err("store tokens save", store.ErrConflict)
	}
	return nil
}

func (s *Store) StoreTokenLeaseAcquire(ctx context.Context, p *store.LeaseParams) (bool, error) {
	n, err := s.d.Exec(ctx, `UPDATE stores SET token_lease_owner = $2, token_lease_until = $4
		WHERE id = $1 AND (token_lease_owner = $2 OR token_lease_until <= $3)`, p.StoreID, p.Owner, ms(p.Now), ms(p.Until))
	return n == 1, s.err("store token lease", err)
}

func (s *Store) StoreTokenLeaseRelease(ctx context.Context, storeID int64, owner string) error {
	_, err := s.d.Exec(ctx, `UPDATE stores SET token_lease_owner = '', token_lease_until = 0 WHERE id = $1 AND token_lease_owner = $2`, storeID, owner)
	return s.err("store token lease release", err)
}

func (s *Store) MembershipAdd(ctx context.Context, p *store.MembershipAddParams) error {
	_, err := s.d.Exec(ctx, `INSERT INTO memberships (account_id, store_id, role, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (account_id, store_id) DO UPDATE SET role = excluded.role`, p.AccountID, p.StoreID, p.Role, ms(now(p.Now)))
	return s.err("membership add", err)
}

func (s *Store) MembershipList(ctx context.Context, storeID int64) ([]store.Membership, error) {
	return queryAll(ctx, s, s.d, "membership list", scanMembership, `SELECT `+membershipCols+` FROM memberships m
		JOIN accounts a ON a.id = m.account_id WHERE m.store_id = $1
		ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'manager' THEN 1 ELSE 2 END, a.name, m.account_id`, storeID)
}

const membershipCols = `m.account_id, m.store_id, m.role, a.name, a.email, m.alerts, m.created_at`

func scanMembership(r Row) (store.Membership, error) {
	var m store.Membership
	var created int64
	err := r.Scan(&m.AccountID, &m.StoreID, &m.Role, &m.Name, &m.Email, &m.Alerts, &created)
	m.CreatedAt = fromMS(created)
	return m, err
}

// lockStore serialises changes to a store's owners: two owners demoting
// each other at once must not both see the other still an owner. Touching
// the store's row takes its row lock (PostgreSQL) or the write lock
// (SQLite) until the transaction ends.
func lockStore(ctx context.Context, tx Tx, storeID int64) error {
	n, err := tx.Exec(ctx, `UPDATE stores SET updated_at = updated_at WHERE id = $1`, storeID)
	if err == nil && n == 0 {
		err = store.ErrNotFound
	}
	return err
}

// ownerCheck answers ErrLastOwner when taking the owner role from
// accountID would leave the store without one, and ErrNotFound when the
// account is not a member.
func ownerCheck(ctx context.Context, tx Tx, accountID, storeID int64, newRole store.Role) error {
	if err := lockStore(ctx, tx, storeID); err != nil {
		return err
	}
	var role store.Role
	if err := tx.QueryRow(ctx, `SELECT role FROM memberships WHERE account_id = $1 AND store_id = $2`, accountID, storeID).Scan(&role); err != nil {
		return err
	}
	if role != store.RoleOwner || newRole == store.RoleOwner {
		return nil
	}
	var owners int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM memberships WHERE store_id = $1 AND role = 'owner'`, storeID).Scan(&owners); err != nil {
		return err
	}
	if owners <= 1 {
		return store.ErrLastOwner
	}
	return nil
}

func (s *Store) MembershipSetRole(ctx context.Context, p *store.MembershipSetRoleParams) (store.Membership, error) {
	if !p.Role.Valid() {
		return store.Membership{}, s.err("membership role", store.ErrInvalid)
	}
	var m store.Membership
	err := s.d.InTx(ctx, func(tx Tx) error {
		if err := ownerCheck(ctx, tx, p.AccountID, p.StoreID, p.Role); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE memberships SET role = $3 WHERE account_id = $1 AND store_id = $2`,
			p.AccountID, p.StoreID, p.Role); err != nil {
			return err
		}
		var err error
		m, err = scanMembership(tx.QueryRow(ctx, `SELECT `+membershipCols+` FROM memberships m JOIN accounts a ON a.id = m.account_id
			WHERE m.account_id = $1 AND m.store_id = $2`, p.AccountID, p.StoreID))
		return err
	})
	return m, s.err("membership role", err)
}

func (s *Store) MembershipRemove(ctx context.Context, p *store.MembershipRemoveParams) error {
	err := s.d.InTx(ctx, func(tx Tx) error {
		if err := ownerCheck(ctx, tx, p.AccountID, p.StoreID, ""); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM memberships WHERE account_id = $1 AND store_id = $2`, p.AccountID, p.StoreID)
		return err
	})
	return s.err("membership remove", err)
}

func (s *Store) StoreDisconnect(ctx context.Context, p *store.StoreDisconnectParams) error {
	return s.execOne(ctx, "store disconnect", `UPDATE stores SET status = 'disconnected', access_token = NULL, refresh_token = NULL,
		token_expires_at = 0, token_lease_owner = '', token_lease_until = 0, last_error = '', updated_at = $2 WHERE id = $1`,
		p.StoreID, ms(now(p.Now)))
}

func (s *Store) MembershipSetAlerts(ctx context.Context, p *store.MembershipSetAlertsParams) error {
	return s.execOne(ctx, "membership alerts", `UPDATE memberships SET alerts = $3 WHERE account_id = $1 AND store_id = $2`,
		p.AccountID, p.StoreID, p.Alerts)
}
