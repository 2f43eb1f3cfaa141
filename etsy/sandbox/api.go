// This file serves the read operations and updateListing, and renders the
// sandbox's model in the shapes Etsy's description gives.

package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/etsy"
)

const (
	maxLimit  = 100
	maxOffset = 12000
)

// Answers whose shape package etsy already declares field for field (money,
// offerings, products, property values) are rendered in etsy's types: the
// wire format is one. What is checked independently is the answer itself,
// against the published description (sandbox_test validates every answer),
// and the parsing of requests, which stays strict and the sandbox's own.

func toMoney(cents int64, currency string) etsy.Money {
	return etsy.Money{Amount: cents, Divisor: 100, CurrencyCode: currency}
}

// inventoryJSON is a ListingInventory with, for updateListingInventory's
// answer, the listing it belongs to.
type inventoryJSON struct {
	etsy.ListingInventory
	Listing *listingJSON `json:"listing,omitempty"`
}

type listingJSON struct {
	ListingID                 int64          `json:"listing_id"`
	UserID                    int64          `json:"user_id"`
	ShopID                    int64          `json:"shop_id"`
	Title                     string         `json:"title"`
	Description               string         `json:"description"`
	State                     string         `json:"state"`
	CreationTimestamp         int64          `json:"creation_timestamp"`
	CreatedTimestamp          int64          `json:"created_timestamp"`
	EndingTimestamp           int64          `json:"ending_timestamp"`
	OriginalCreationTimestamp int64          `json:"original_creation_timestamp"`
	LastModifiedTimestamp     int64          `json:"last_modified_timestamp"`
	UpdatedTimestamp          int64          `json:"updated_timestamp"`
	StateTimestamp            int64          `json:"state_timestamp"`
	Quantity                  int            `json:"quantity"`
	FeaturedRank              int            `json:"featured_rank"`
	URL                       string         `json:"url"`
	NumFavorers               int            `json:"num_favorers"`
	NonTaxable                bool           `json:"non_taxable"`
	IsTaxable                 bool           `json:"is_taxable"`
	IsCustomizable            bool           `json:"is_customizable"`
	IsPersonalizable          bool           `json:"is_personalizable"`
	ListingType               string         `json:"listing_type"`
	Tags                      []string       `json:"tags"`
	Materials                 []string       `json:"materials"`
	IsPrivate                 bool           `json:"is_private"`
	Style                     []string       `json:"style"`
	HasVariations             bool           `json:"has_variations"`
	ShouldAutoRenew           bool           `json:"should_auto_renew"`
	Price                     etsy.Money     `json:"price"`
	SKUs                      []string       `json:"skus"`
	Inventory                 *inventoryJSON `json:"inventory,omitempty"`
}

// renderOffering shows readiness_state_id only when withReadiness: Etsy
// returns it for active physical listings and may send null for every other,
// so clients must not echo what they read.
func renderOffering(o Offering, deleted, withReadiness bool, currency string) etsy.Offering {
	out := etsy.Offering{OfferingID: o.OfferingID, Quantity: o.Quantity, IsEnabled: o.IsEnabled, IsDeleted: deleted,
		Price: toMoney(o.Price, currency)}
	if withReadiness {
		id := o.ReadinessStateID
		out.ReadinessStateID = &id
	}
	return out
}

func renderPropertyValues(pvs []PropertyValue) []etsy.PropertyValue {
	out := make([]etsy.PropertyValue, 0, len(pvs))
	for _, v := range pvs {
		name := v.PropertyName
		out = append(out, etsy.PropertyValue{PropertyID: v.PropertyID, PropertyName: &name, ScaleID: v.ScaleID,
			ValueIDs: nonNil(v.ValueIDs), Values: nonNil(v.Values)})
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func renderProduct(p Product, deleted, withReadiness bool, currency string) etsy.Product {
	offs := make([]etsy.Offering, 0, len(p.Offerings))
	for _, o := range p.Offerings {
		offs = append(offs, renderOffering(o, deleted, withReadiness, currency))
	}
	return etsy.Product{ProductID: p.ProductID, SKU: p.SKU, IsDeleted: deleted, Offerings: offs,
		PropertyValues: renderPropertyValues(p.PropertyValues)}
}

// renderInventory renders l's inventory. Readiness ids show only while l is
// active (every sandbox listing is physical) and the request is shop-scoped
// or about this one listing, as Etsy's description says; a batch read across
// listings gets null.
func renderInventory(l *Listing, showDeleted, scoped bool, currency string) *inventoryJSON {
	inv := &l.Inventory
	withReadiness := scoped && l.State == StateActive
	out := &inventoryJSON{ListingInventory: etsy.ListingInventory{
		Products: make([]etsy.Product, 0, len(inv.Products)),
		// The wire form holds the same four lists, not the same type: the
		// sandbox's model is its own, to check the client against.
		OnProperty: etsy.OnProperty(inv.OnProperty.clone()),
	}}
	for _, p := range inv.Products {
		out.Products = append(out.Products, renderProduct(p, false, withReadiness, currency))
	}
	if showDeleted {
		for _, p := range inv.DeletedProducts {
			out.Products = append(out.Products, renderProduct(p, true, withReadiness, currency))
		}
	}
	return out
}

// renderListing renders l for its owner (skus are shown to owners only,
// and every caller here is the owner). Callers hold s.mu.
// scoped says the request is shop-scoped or for this listing alone.
func (s *Sandbox) renderListing(l *Listing, st *shopState, withInventory, scoped bool) listingJSON {
	cur := st.shop.CurrencyCode
	out := listingJSON{
		ListingID: l.ListingID, UserID: st.shop.UserID, ShopID: l.ShopID, Title: l.Title, Description: l.Description,
		State: l.State, CreationTimestamp: l.Created, CreatedTimestamp: l.Created, OriginalCreationTimestamp: l.Created,
		EndingTimestamp: l.Created + 4*30*24*3600, LastModifiedTimestamp: l.LastModified, UpdatedTimestamp: l.LastModified,
		StateTimestamp: l.StateTimestamp, Quantity: l.Inventory.quantity(), FeaturedRank: -1,
		URL:       "https://www.etsy.com/listing/" + strconv.FormatInt(l.ListingID, 10),
		IsTaxable: true, ListingType: "physical", Tags: []string{}, Materials: []string{}, Style: []string{},
		HasVariations: l.Inventory.hasVariations(), ShouldAutoRenew: true,
		Price: toMoney(l.Inventory.minPrice(), cur), SKUs: l.Inventory.skus(),
	}
	if withInventory {
		out.Inventory = renderInventory(l, false, scoped, cur)
	}
	return out
}

type listPage[T any] struct {
	Count   int `json:"count"`
	Results []T `json:"results"`
}

// queryInt parses an optional integer query parameter within [lo, hi].
func queryInt(c *call, name string, def, lo, hi int64) (int64, bool) {
	raw, present := c.r.URL.Query()[name]
	if !present {
		return def, true
	}
	v, err := strconv.ParseInt(raw[0], 10, 64)
	switch {
	case err != nil:
		writeError(c.w, http.StatusBadRequest, "Expected int for '"+name+"'")
		return 0, false
	case v < lo:
		writeError(c.w, http.StatusBadRequest, "Expected int >= "+strconv.FormatInt(lo, 10)+" for '"+name+"'")
		return 0, false
	case v > hi:
		writeError(c.w, http.StatusBadRequest, "Expected int <= "+strconv.FormatInt(hi, 10)+" for '"+name+"'")
		return 0, false
	}
	return v, true
}

// queryEnum parses an optional enumerated query parameter.
func queryEnum(c *call, name, def string, allowed ...string) (string, bool) {
	raw, present := c.r.URL.Query()[name]
	if !present {
		return def, true
	}
	if !slices.Contains(allowed, raw[0]) {
		writeError(c.w, http.StatusBadRequest, "'"+name+"' must be one of "+strings.Join(allowed, ", "))
		return "", false
	}
	return raw[0], true
}

// queryBool parses an optional boolean; the pointer is nil when absent.
func queryBool(c *call, name string) (*bool, bool) {
	raw, present := c.r.URL.Query()[name]
	if !present {
		return nil, true
	}
	v, err := strconv.ParseBool(raw[0])
	if err != nil {
		writeError(c.w, http.StatusBadRequest, "Expected boolean for '"+name+"'")
		return nil, false
	}
	return &v, true
}

func paging(c *call) (limit, offset int, ok bool) {
	l, ok := queryInt(c, "limit", 25, 1, maxLimit)
	if !ok {
		return 0, 0, false
	}
	o, ok := queryInt(c, "offset", 0, 0, maxOffset)
	if !ok {
		return 0, 0, false
	}
	return int(l), int(o), true
}

func window(n, limit, offset int) (int, int) {
	start := min(offset, n)
	return start, min(start+limit, n)
}

func (s *Sandbox) getMe(c *call) {
	writeJSON(c.w, http.StatusOK, map[string]int64{"user_id": c.user, "shop_id": c.shop.shop.ShopID})
}

type shopJSON struct {
	ShopID             int64    `json:"shop_id"`
	UserID             int64    `json:"user_id"`
	ShopName           string   `json:"shop_name"`
	CreateDate         int64    `json:"create_date"`
	CreatedTimestamp   int64    `json:"created_timestamp"`
	Title              *string  `json:"title"`
	CurrencyCode       string   `json:"currency_code"`
	IsVacation         bool     `json:"is_vacation"`
	UpdateDate         int64    `json:"update_date"`
	UpdatedTimestamp   int64    `json:"updated_timestamp"`
	ListingActiveCount int      `json:"listing_active_count"`
	LoginName          string   `json:"login_name"`
	URL                string   `json:"url"`
	Languages          []string `json:"languages"`
}

func (s *Sandbox) getShop(c *call) {
	id, ok := pathID(c, "shop_id")
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.shops[id]
	if !ok {
		writeError(c.w, http.StatusNotFound, "Shop with shop_id "+strconv.FormatInt(id, 10)+" not found")
		return
	}
	active := 0
	for _, lid := range st.listingIDs {
		if s.listings[lid].State == StateActive {
			active++
		}
	}
	sh := st.shop
	writeJSON(c.w, http.StatusOK, shopJSON{
		ShopID: sh.ShopID, UserID: sh.UserID, ShopName: sh.Name, CreateDate: sh.Created, CreatedTimestamp: sh.Created,
		Title: &sh.Name, CurrencyCode: sh.CurrencyCode, IsVacation: sh.IsVacation, UpdateDate: sh.Updated,
		UpdatedTimestamp: sh.Updated, ListingActiveCount: active, LoginName: sh.LoginName,
		URL: "https://www.etsy.com/shop/" + url.PathEscape(sh.Name), Languages: []string{"en-US"},
	})
}

var listingIncludes = []string{"Shipping", "Images", "Shop", "User", "Translations", "Inventory", "Videos", "Personalization", "BuyerPrice"}

func (s *Sandbox) getListingsByShop(c *call) {
	st, ok := s.ownShop(c)
	if !ok {
		return
	}
	state, ok := queryEnum(c, "state", StateActive, listingStates...)
	if !ok {
		return
	}
	limit, offset, ok := paging(c)
	if !ok {
		return
	}
	if _, ok := queryEnum(c, "sort_on", "created", "created", "price", "updated", "score"); !ok {
		return
	}
	if _, ok := queryEnum(c, "sort_order", "desc", "asc", "ascending", "desc", "descending", "up", "down"); !ok {
		return
	}
	withInventory := false
	if raw := c.r.URL.Query().Get("includes"); raw != "" {
		for _, inc := range strings.Split(raw, ",") {
			if !slices.Contains(listingIncludes, inc) {
				writeError(c.w, http.StatusBadRequest, "'includes' must be one of "+strings.Join(listingIncludes, ", "))
				return
			}
			withInventory = withInventory || inc == "Inventory"
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	matched := make([]*Listing, 0, len(st.listingIDs))
	for _, id := range st.listingIDs {
		if l := s.listings[id]; l.State == state {
			matched = append(matched, l)
		}
	}
	from, to := window(len(matched), limit, offset)
	page := listPage[listingJSON]{Count: len(matched), Results: make([]listingJSON, 0, to-from)}
	for _, l := range matched[from:to] {
		page.Results = append(page.Results, s.renderListing(l, st, withInventory, true))
	}
	writeJSON(c.w, http.StatusOK, page)
}

// withOwnListing runs fn under s.mu on the listing id names, once it is
// known to belong to the caller's shop; otherwise the answer (404, 403) is
// written and fn does not run.
func (s *Sandbox) withOwnListing(c *call, id int64, fn func(l *Listing)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.ownListingLocked(c, id); ok {
		fn(l)
	}
}

// ownListing resolves a listing id and checks it belongs to the caller's
// shop. Callers hold s.mu.
func (s *Sandbox) ownListingLocked(c *call, id int64) (*Listing, bool) {
	l, ok := s.listings[id]
	if !ok {
		writeError(c.w, http.StatusNotFound, "Listing with listing_id "+strconv.FormatInt(id, 10)+" not found")
		return nil, false
	}
	if l.ShopID != c.shop.shop.ShopID {
		writeError(c.w, http.StatusForbidden, "The listing does not belong to the authenticated user's shop.")
		return nil, false
	}
	return l, true
}

func (s *Sandbox) getListingsInventoryByListingIds(c *call) {
	raw := c.r.URL.Query().Get("listing_ids")
	if raw == "" {
		writeError(c.w, http.StatusBadRequest, "'listing_ids' is required")
		return
	}
	parts := strings.Split(raw, ",")
	if len(parts) > maxLimit {
		writeError(c.w, http.StatusBadRequest, "'listing_ids' accepts at most 100 ids")
		return
	}
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id < 1 {
			writeError(c.w, http.StatusBadRequest, "Expected int >= 1 for each of 'listing_ids'")
			return
		}
		ids = append(ids, id)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// One unknown id fails the whole batch, as on Etsy.
	for _, id := range ids {
		if _, ok := s.listings[id]; !ok {
			writeError(c.w, http.StatusNotFound, "Listing with listing_id "+strconv.FormatInt(id, 10)+" not found")
			return
		}
	}
	page := listPage[listingJSON]{Results: []listingJSON{}}
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		l, ok := s.ownListingLocked(c, id)
		if !ok {
			return
		}
		page.Results = append(page.Results, s.renderListing(l, c.shop, true, false))
	}
	page.Count = len(page.Results)
	writeJSON(c.w, http.StatusOK, page)
}

func (s *Sandbox) getListingInventory(c *call) {
	id, ok := pathID(c, "listing_id")
	if !ok {
		return
	}
	showDeleted, ok := queryBool(c, "show_deleted")
	if !ok {
		return
	}
	include, ok := queryEnum(c, "includes", "", "Listing")
	if !ok {
		return
	}
	s.withOwnListing(c, id, func(l *Listing) {
		inv := renderInventory(l, showDeleted != nil && *showDeleted, true, c.shop.shop.CurrencyCode)
		if include == "Listing" {
			lj := s.renderListing(l, c.shop, false, true)
			inv.Listing = &lj
		}
		writeJSON(c.w, http.StatusOK, inv)
	})
}

func (s *Sandbox) getShopReadinessStateDefinitions(c *call) {
	st, ok := s.ownShop(c)
	if !ok {
		return
	}
	limit, offset, ok := paging(c)
	if !ok {
		return
	}
	type profile struct {
		ShopID  int64  `json:"shop_id"`
		ID      int64  `json:"readiness_state_id"`
		State   string `json:"readiness_state"`
		MinDays int    `json:"min_processing_days"`
		MaxDays int    `json:"max_processing_days"`
		Label   string `json:"processing_days_display_label"`
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	from, to := window(len(st.readiness), limit, offset)
	page := listPage[profile]{Count: len(st.readiness), Results: []profile{}}
	for _, rs := range st.readiness[from:to] {
		page.Results = append(page.Results, profile{ShopID: st.shop.ShopID, ID: rs.ID, State: rs.State,
			MinDays: rs.MinDays, MaxDays: rs.MaxDays, Label: strconv.Itoa(rs.MinDays) + "-" + strconv.Itoa(rs.MaxDays) + " business days"})
	}
	writeJSON(c.w, http.StatusOK, page)
}

// updateListing is PATCH /shops/{shop_id}/listings/{listing_id}. Only the
// fields Stockroom has a use for are accepted; the state machine follows
// Etsy: active and inactive swap, sold_out and expired listings can be
// (re)activated only with stock, drafts need images the sandbox lacks.
func (s *Sandbox) updateListing(c *call) {
	st, lid, ok := s.ownShopItem(c, "listing_id")
	if !ok || !bodyIs(c, "application/x-www-form-urlencoded") {
		return
	}
	if err := c.r.ParseForm(); err != nil {
		writeError(c.w, http.StatusBadRequest, "Malformed form body")
		return
	}
	form := c.r.PostForm
	for k := range form {
		if k != "state" && k != "title" && k != "description" {
			writeError(c.w, http.StatusBadRequest, "The sandbox does not support updating '"+k+"'")
			return
		}
	}
	if len(form) == 0 {
		writeError(c.w, http.StatusBadRequest, "Nothing to update")
		return
	}
	s.withOwnListing(c, lid, func(l *Listing) {
		if l.ShopID != st.shop.ShopID {
			writeError(c.w, http.StatusNotFound, "Listing not found in this shop")
			return
		}
		now := s.now().Unix()
		next := *l
		if form.Has("title") {
			if strings.TrimSpace(form.Get("title")) == "" {
				writeError(c.w, http.StatusBadRequest, "'title' cannot be empty")
				return
			}
			next.Title = form.Get("title")
		}
		if form.Has("description") {
			next.Description = form.Get("description")
		}
		if form.Has("state") {
			want := form.Get("state")
			if want != StateActive && want != StateInactive {
				writeError(c.w, http.StatusBadRequest, "'state' must be one of active, inactive")
				return
			}
			if want != l.State {
				if msg := stateChangeError(l, want); msg != "" {
					writeError(c.w, http.StatusBadRequest, msg)
					return
				}
				next.State, next.StateTimestamp = want, now
			}
		}
		next.LastModified = now
		*l = next
		writeJSON(c.w, http.StatusOK, s.renderListing(l, st, false, true))
	})
}

func stateChangeError(l *Listing, want string) string {
	switch {
	case l.State == StateDraft:
		return "A draft listing must have an image before it can be activated"
	case want == StateActive && l.Inventory.quantity() == 0:
		return "Cannot activate a listing with quantity 0"
	case want == StateInactive && l.State != StateActive:
		return "Only an active listing can be made inactive"
	}
	return ""
}
