// Domain types shared by every area of the store.
package store

import "time"

// Role is what a member may do in a store.
type Role string

const (
	RoleOwner   Role = "owner"
	RoleManager Role = "manager"
	RoleViewer  Role = "viewer"
)

// CanEdit tells whether the role may change stock, thresholds and run
// syncs.
func (r Role) CanEdit() bool { return r == RoleOwner || r == RoleManager }

// Valid tells whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleOwner || r == RoleManager || r == RoleViewer }

// StoreStatus is the state of a store's link to Etsy.
type StoreStatus string

const (
	StatusConnected    StoreStatus = "connected"
	StatusNeedsReauth  StoreStatus = "needs_reauth"
	StatusDisconnected StoreStatus = "disconnected"
)

// ZeroPolicy says what a push does when every variation of a listing would
// be 0, which Etsy's inventory endpoint refuses.
type ZeroPolicy string

const (
	ZeroDeactivate  ZeroPolicy = "deactivate"
	ZeroKeepSoldOut ZeroPolicy = "keep_sold_out"
)

// Source says where a stock change came from, for the audit trail.
type Source string

const (
	SourceTUI     Source = "tui"
	SourceCommand Source = "command"
	SourceImport  Source = "import"
	SourceSync    Source = "sync"
	SourceSale    Source = "sale"
	SourcePush    Source = "push"
)

// EditKind says how a pending edit reaches Etsy. A set is the seller's
// count: the push writes it minus the units sold since the edit's base. An
// add moves Etsy's current count by the seller's change (stock add, a
// correction of a sale a write overwrote). An add made while a set waits
// becomes part of the set.
type EditKind string

const (
	EditSet EditKind = "set"
	EditAdd EditKind = "add"
)

// PushStatus is where an offering's latest edit stands.
type PushStatus string

const (
	PushNone    PushStatus = ""
	PushPending PushStatus = "pending"
	PushPushed  PushStatus = "pushed"
	PushFailed  PushStatus = "failed"
)

type Account struct {
	ID             int64
	Name           string
	Email          string
	IsAdmin        bool
	Disabled       bool
	TelegramChatID string
	NotifyEmail    bool
	NotifyTelegram bool
	NotifyDigest   bool
	// WhatsAppNumber is where WhatsApp alerts go (international format,
	// digits only) when NotifyWhatsApp is on.
	WhatsAppNumber string
	NotifyWhatsApp bool
	// DigestHour (0 to 23, default 8) in TimeZone (an IANA name, default
	// UTC) is when the daily digest goes.
	DigestHour int
	TimeZone   string
	CreatedAt  time.Time
}

type Key struct {
	ID          int64
	AccountID   int64
	Fingerprint string // SHA256:... as ssh-keygen prints it
	PublicKey   string // authorized_keys format
	Comment     string
	CreatedAt   time.Time
	LastUsedAt  time.Time
}

type Store struct {
	ID              int64
	EtsyShopID      int64
	EtsyUserID      int64
	Name            string
	Currency        string
	Status          StoreStatus
	IsSandbox       bool
	TokenExpiresAt  time.Time
	SyncInterval    time.Duration // 0: the server's default
	ZeroPolicy      ZeroPolicy
	LowStockDefault int
	// TargetCoverDays is how many days of sales the store wants in stock;
	// restock suggestions aim for it.
	TargetCoverDays int
	// RunsOutDays fires an alert when a row's days of cover (its stock at
	// the pace of its last 30 days of sales) fall below it; 0 is off.
	RunsOutDays    int
	ReceiptsCursor time.Time
	// SalesVersion moves whenever the store's sales sums change (receipts
	// written, the kept window moved): sums read at a version stay right
	// while it does not move.
	SalesVersion   int64
	LastSyncAt     time.Time
	LastFullSyncAt time.Time
	LastError      string
	CreatedAt      time.Time
}

// MemberStore is a store as one account sees it.
type MemberStore struct {
	Store
	Role Role
}

// StoreTokens are a store's sealed OAuth tokens. The store package never sees
// plaintext tokens: sealing happens in the token vault.
type StoreTokens struct {
	StoreID      int64
	EtsyShopID   int64
	Status       StoreStatus
	AccessToken  []byte
	RefreshToken []byte
	ExpiresAt    time.Time
}

// Money is an amount in minor units, as Etsy sends it.
type Money struct {
	Amount   int64
	Divisor  int
	Currency string
}

// InventoryRow is one listing × variation: the unit a seller edits.
type InventoryRow struct {
	OfferingID      int64
	ProductID       int64
	ListingID       int64
	StoreID         int64
	EtsyListingID   int64
	EtsyProductID   int64
	EtsyOfferingID  int64
	Title           string
	ListingState    string
	URL             string
	ProductKey      string
	SKU             string
	Variation       string
	Quantity        int // last seen on Etsy
	DesiredQuantity int // what the seller wants, meaningful while Pending
	BaseQuantity    int // Etsy's quantity the pending edit was made against
	// BaseAt is when Etsy held BaseQuantity; sales after it are not in it.
	BaseAt   time.Time
	EditKind EditKind // of the pending edit
	// QuantityAt is when Stockroom last saw Etsy's count change, or last
	// read it unchanged after reading the receipts (see
	// SyncListingsWriteParams.Confirm).
	QuantityAt time.Time
	// SetAt is when the seller last typed a set (zero: never).
	SetAt time.Time
	// StockroomDeactivated is true while the listing is inactive because a
	// push emptied every variation: stock brings it back.
	StockroomDeactivated bool
	Price                Money
	Enabled              bool
	ReadinessID          int64
	Version              int64
	DesiredVersion       int64
	PushedVersion        int64
	PushStatus           PushStatus
	PushError            string
	PushedAt             time.Time
	Threshold            int // effective low-stock threshold
	// ThresholdIsDefault tells that Threshold is the store's default (no
	// threshold of the row's own or its listing's). Set in cover rows
	// (CoverRowList) alone: a reader holding them follows a change of the
	// default without reading them again.
	ThresholdIsDefault bool
	Gone               bool
	// ListedAt is when Etsy created the listing (zero when not known).
	ListedAt  time.Time
	UpdatedAt time.Time
}

// Pending tells whether an edit is waiting to reach Etsy.
func (r InventoryRow) Pending() bool { return r.DesiredVersion > r.PushedVersion }

// Shown is the quantity a seller sees: their pending edit, else Etsy's.
func (r InventoryRow) Shown() int {
	if r.Pending() {
		return r.DesiredQuantity
	}
	return r.Quantity
}

// Low tells whether the row is at or below its low-stock threshold.
func (r InventoryRow) Low() bool { return r.Shown() <= r.Threshold }

type StockEvent struct {
	ID         int64
	StoreID    int64
	OfferingID int64
	AccountID  int64 // 0 when the change did not come from a person
	Source     Source
	Before     int
	After      int
	Note       string
	CreatedAt  time.Time
}

type Receipt struct {
	ID            int64
	StoreID       int64
	EtsyReceiptID int64
	Status        string
	BuyerName     string
	Message       string
	IsPaid        bool
	IsShipped     bool
	Total         Money
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Items         []ReceiptItem
}

type ReceiptItem struct {
	EtsyTransactionID int64
	EtsyListingID     int64
	EtsyProductID     int64
	SKU               string
	Title             string
	Variation         string
	Quantity          int
	Price             Money
}

type SyncKind string

const (
	SyncFull        SyncKind = "full"
	SyncIncremental SyncKind = "incremental"
	SyncReconcile   SyncKind = "reconcile"
	SyncPush        SyncKind = "push"
)

type SyncTrigger string

const (
	TriggerSchedule SyncTrigger = "schedule"
	TriggerManual   SyncTrigger = "manual"
	TriggerWebhook  SyncTrigger = "webhook"
	TriggerEdit     SyncTrigger = "edit"
	// TriggerConnect is the first sync of a shop just connected.
	TriggerConnect SyncTrigger = "connect"
)

type SyncResult string

const (
	ResultRunning SyncResult = "running"
	ResultOK      SyncResult = "ok"
	ResultFailed  SyncResult = "failed"
)

type SyncRun struct {
	ID              int64
	StoreID         int64
	Kind            SyncKind
	Trigger         SyncTrigger
	Result          SyncResult
	StartedAt       time.Time
	FinishedAt      time.Time
	ListingsChanged int
	ReceiptsChanged int
	APICalls        int
	Error           string
	Process         string
	JobID           int64
}

// Duration is how long a finished run took.
func (r SyncRun) Duration() time.Duration {
	if r.FinishedAt.IsZero() {
		return 0
	}
	return r.FinishedAt.Sub(r.StartedAt)
}

type OAuthState struct {
	State          string
	AccountID      int64
	KeyFingerprint string
	CodeVerifier   []byte // sealed
	CreatedAt      time.Time
	ExpiresAt      time.Time
	ConsumedAt     time.Time
	ConfirmToken   string
	ShopID         int64
	ShopName       string
	EtsyUserID     int64
	Currency       string
	AccessToken    []byte // sealed
	RefreshToken   []byte // sealed
	TokenExpiresAt time.Time
	CompletedAt    time.Time
	StoreID        int64
	Error          string
}
