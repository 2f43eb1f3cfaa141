// Connected Etsy shops, their members and their sealed tokens.
package store

import (
	"context"
	"time"
)

type Stores interface {
	// StoreConnect saves a shop and makes the account its owner, or renews the
	// tokens of a shop the account already owns. A shop owned by another
	// account answers ErrShopLinked.
	StoreConnect(ctx context.Context, p *StoreConnectParams) (Store, error)
	// StoreListForAccount lists the stores an account is a member of.
	StoreListForAccount(ctx context.Context, accountID int64) ([]MemberStore, error)
	// StoreListForActiveAccount is StoreListForAccount for an account
	// that is not disabled, in one statement: a disabled account (or one
	// that does not exist) lists none.
	StoreListForActiveAccount(ctx context.Context, accountID int64) ([]MemberStore, error)
	// StoreGetForAccount answers ErrNotFound unless the account is a member.
	StoreGetForAccount(ctx context.Context, accountID, storeID int64) (MemberStore, error)
	// StoreGet and StoreList are for the server's own work (sync, admin).
	StoreGet(ctx context.Context, storeID int64) (Store, error)
	StoreList(ctx context.Context) ([]Store, error)
	StoreSetStatus(ctx context.Context, p *StoreSetStatusParams) error
	StoreUpdateSettings(ctx context.Context, p *StoreUpdateSettingsParams) (Store, error)
	StoreSetSyncState(ctx context.Context, p *StoreSetSyncStateParams) error

	StoreTokensGet(ctx context.Context, storeID int64) (StoreTokens, error)
	// StoreTokensSave replaces the sealed tokens. With LeaseOwner set it only
	// writes while that owner holds the refresh lease (ErrConflict otherwise).
	StoreTokensSave(ctx context.Context, p *StoreTokensSaveParams) error
	// StoreTokenLeaseAcquire takes the store's refresh lease until Until, if
	// it is free or expired. It never holds a database lock across a call to
	// Etsy: the lease is a row.
	StoreTokenLeaseAcquire(ctx context.Context, p *LeaseParams) (bool, error)
	StoreTokenLeaseRelease(ctx context.Context, storeID int64, owner string) error

	// StoreDisconnect marks a store disconnected and deletes its sealed
	// tokens; its listings, sales and history stay. StoreConnect links it
	// again.
	StoreDisconnect(ctx context.Context, p *StoreDisconnectParams) error

	MembershipAdd(ctx context.Context, p *MembershipAddParams) error
	// MembershipList lists a store's members, owners first, then by name.
	MembershipList(ctx context.Context, storeID int64) ([]Membership, error)
	// MembershipSetRole changes a member's role. Demoting a store's last
	// owner answers ErrLastOwner; a non-member ErrNotFound.
	MembershipSetRole(ctx context.Context, p *MembershipSetRoleParams) (Membership, error)
	// MembershipRemove takes an account out of a store. Removing the last
	// owner answers ErrLastOwner; a non-member ErrNotFound.
	MembershipRemove(ctx context.Context, p *MembershipRemoveParams) error
	// MembershipSetAlerts chooses whether the store's alerts reach the
	// member (on their account's channels); a non-member is ErrNotFound.
	MembershipSetAlerts(ctx context.Context, p *MembershipSetAlertsParams) error
}

type Membership struct {
	AccountID int64
	StoreID   int64
	Role      Role
	Name      string
	Email     string
	// Alerts says the store's alerts reach this member.
	Alerts    bool
	CreatedAt time.Time
}

type StoreDisconnectParams struct {
	StoreID int64
	Now     time.Time
}

type MembershipSetRoleParams struct {
	AccountID int64
	StoreID   int64
	Role      Role
}

type MembershipSetAlertsParams struct {
	AccountID int64
	StoreID   int64
	Alerts    bool
}

type MembershipRemoveParams struct {
	AccountID int64
	StoreID   int64
}

type StoreConnectParams struct {
	AccountID      int64
	EtsyShopID     int64
	EtsyUserID     int64
	Name           string
	Currency       string
	IsSandbox      bool
	AccessToken    []byte
	RefreshToken   []byte
	TokenExpiresAt time.Time
	Now            time.Time
}

type StoreSetStatusParams struct {
	StoreID   int64
	Status    StoreStatus
	LastError string
	Now       time.Time
}

// StoreUpdateSettingsParams changes the fields that are not nil, for an
// account that is a member of the store.
type StoreUpdateSettingsParams struct {
	AccountID       int64
	StoreID         int64
	ZeroPolicy      *ZeroPolicy
	LowStockDefault *int
	SyncInterval    *time.Duration
	// TargetCoverDays is how many days of sales restock suggestions aim
	// to hold.
	TargetCoverDays *int
	// RunsOutDays is N of the "runs out within N days" alerts (0: off).
	RunsOutDays *int
	Now         time.Time
}

// StoreSetSyncStateParams changes the fields that are not nil.
type StoreSetSyncStateParams struct {
	StoreID        int64
	ReceiptsCursor *time.Time
	LastSyncAt     *time.Time
	LastFullSyncAt *time.Time
	LastError      *string
}

type StoreTokensSaveParams struct {
	StoreID      int64
	AccessToken  []byte
	RefreshToken []byte
	ExpiresAt    time.Time
	LeaseOwner   string
	Now          time.Time
}

type LeaseParams struct {
	StoreID int64
	Name    string
	Owner   string
	Now     time.Time
	Until   time.Time
}

type MembershipAddParams struct {
	AccountID int64
	StoreID   int64
	Role      Role
	Now       time.Time
}
