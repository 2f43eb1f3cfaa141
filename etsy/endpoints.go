// The Etsy endpoints Stockroom calls, one method each, with their parameters
// checked against Etsy's documented ranges before any quota is spent.
package etsy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	maxPageLimit  = 100
	maxOffset     = 12000
	maxBatchIDs   = 100
	formURLEncode = "application/x-www-form-urlencoded"
)

// GetMe returns the user and shop ids behind the token (getMe).
func (s *ShopClient) GetMe(ctx context.Context) (Self, error) {
	var out Self
	err := s.do(ctx, apiRequest{method: http.MethodGet, path: "/application/users/me"}, &out)
	return out, err
}

// GetShop returns a shop (getShop).
func (s *ShopClient) GetShop(ctx context.Context, shopID int64) (Shop, error) {
	return getByID[Shop](ctx, s, "/application/shops/%d", pathID{"shop", shopID})
}

// ListingsParams selects a page of a shop's listings.
type ListingsParams struct {
	// State is one of active, inactive, sold_out, draft, expired; empty means
	// Etsy's default, active.
	State string
	// Limit is 1..100; 0 means Etsy's default of 25.
	Limit  int
	Offset int
	// IncludeInventory embeds each listing's inventory: a whole shop's stock
	// at 100 listings a call.
	IncludeInventory bool
}

// GetListingsByShop returns one page of a shop's listings (getListingsByShop).
func (s *ShopClient) GetListingsByShop(ctx context.Context, shopID int64, p ListingsParams) (ListingsPage, error) {
	var out ListingsPage
	if err := checkID("shop", shopID); err != nil {
		return out, err
	}
	q := url.Values{}
	if p.State != "" {
		switch p.State {
		case StateActive, StateInactive, StateSoldOut, StateDraft, StateExpired:
			q.Set("state", p.State)
		default:
			return out, fmt.Errorf("etsy: unknown listing state %q", p.State)
		}
	}
	if err := setPage(q, p.Limit, p.Offset); err != nil {
		return out, err
	}
	if p.IncludeInventory {
		q.Set("includes", "Inventory")
	}
	err := s.do(ctx, apiRequest{method: http.MethodGet, path: fmt.Sprintf("/application/shops/%d/listings", shopID), query: q}, &out)
	return out, err
}

// InventoryBatch is the answer of GetListingsInventoryByIDs.
type InventoryBatch struct {
	// Listings carry their Inventory; order follows Etsy's answer.
	Listings []Listing
	// Missing lists requested ids Etsy does not know (deleted listings).
	Missing []int64
}

// GetListingsInventoryByIDs returns the inventory of up to 100 listings
// (getListingsInventoryByListingIds). Etsy answers 404 for the whole batch
// when one id is unknown, so on a 404 the batch is split in halves until the
// unknown ids are isolated: they are reported in Missing and the rest are
// returned. Each unknown id costs about two calls per halving.
func (s *ShopClient) GetListingsInventoryByIDs(ctx context.Context, listingIDs []int64) (InventoryBatch, error) {
	var out InventoryBatch
	if len(listingIDs) == 0 {
		return out, nil
	}
	ids := slices.Clone(listingIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > maxBatchIDs {
		return out, fmt.Errorf("etsy: %d listing ids in one batch, at most %d allowed", len(ids), maxBatchIDs)
	}
	for _, id := range ids {
		if err := checkID("listing", id); err != nil {
			return out, err
		}
	}
	if err := s.inventoryBatch(ctx, ids, &out); err != nil {
		return InventoryBatch{}, err
	}
	slices.Sort(out.Missing)
	return out, nil
}

func (s *ShopClient) inventoryBatch(ctx context.Context, ids []int64, out *InventoryBatch) error {
	var page ListingsPage
	q := url.Values{"listing_ids": {joinIDs(ids)}}
	err := s.do(ctx, apiRequest{method: http.MethodGet, path: "/application/listings/batch/inventory", query: q}, &page)
	if IsNotFound(err) {
		if len(ids) == 1 {
			out.Missing = append(out.Missing, ids[0])
			return nil
		}
		half := len(ids) / 2
		if err := s.inventoryBatch(ctx, ids[:half], out); err != nil {
			return err
		}
		return s.inventoryBatch(ctx, ids[half:], out)
	}
	if err != nil {
		return err
	}
	seen := make(map[int64]bool, len(page.Results))
	for _, l := range page.Results {
		if !slices.Contains(ids, l.ListingID) || seen[l.ListingID] {
			continue
		}
		seen[l.ListingID] = true
		out.Listings = append(out.Listings, l)
	}
	// An id Etsy silently left out is as gone as one it refused.
	for _, id := range ids {
		if !seen[id] {
			out.Missing = append(out.Missing, id)
		}
	}
	return nil
}

// GetListingInventory returns one listing's inventory (getListingInventory),
// without deleted products.
func (s *ShopClient) GetListingInventory(ctx context.Context, listingID int64) (ListingInventory, error) {
	return getByID[ListingInventory](ctx, s, "/application/listings/%d/inventory", pathID{"listing", listingID})
}

// UpdateListingInventory replaces a listing's whole inventory
// (updateListingInventory) and returns what Etsy stored, with new product
// and offering ids. Build req with BuildInventoryUpdate. Offerings whose
// readiness_state_id was read as null get the shop's (readiness.go).
func (s *ShopClient) UpdateListingInventory(ctx context.Context, listingID int64, req UpdateInventoryRequest) (ListingInventory, error) {
	var out ListingInventory
	if err := checkID("listing", listingID); err != nil {
		return out, err
	}
	if err := req.Validate(); err != nil {
		return out, err
	}
	if err := s.fillReadiness(ctx, &req); err != nil {
		return out, err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return out, fmt.Errorf("etsy: encode inventory: %w", err)
	}
	err = s.do(ctx, apiRequest{
		method:      http.MethodPut,
		path:        fmt.Sprintf("/application/listings/%d/inventory", listingID),
		body:        body,
		contentType: "application/json",
	}, &out)
	return out, err
}

// UpdateListingRequest holds the listing fields Stockroom changes.
type UpdateListingRequest struct {
	// State is active or inactive. Activating a sold_out listing renews it,
	// which costs the seller a listing fee.
	State string
}

// UpdateListing changes a listing (updateListing, form encoded PATCH).
func (s *ShopClient) UpdateListing(ctx context.Context, shopID, listingID int64, req UpdateListingRequest) (Listing, error) {
	var out Listing
	if err := checkID("shop", shopID); err != nil {
		return out, err
	}
	if err := checkID("listing", listingID); err != nil {
		return out, err
	}
	form := url.Values{}
	switch req.State {
	case StateActive, StateInactive:
		form.Set("state", req.State)
	case "":
		return out, errors.New("etsy: listing update changes nothing")
	default:
		return out, fmt.Errorf("etsy: a listing can only be set active or inactive, not %q", req.State)
	}
	err := s.do(ctx, apiRequest{
		method:      http.MethodPatch,
		path:        fmt.Sprintf("/application/shops/%d/listings/%d", shopID, listingID),
		body:        []byte(form.Encode()),
		contentType: formURLEncode,
	}, &out)
	return out, err
}

// GetShopReadinessStateDefinitions returns a page of the shop's processing
// profiles (getShopReadinessStateDefinitions). limit 0 means Etsy's default.
func (s *ShopClient) GetShopReadinessStateDefinitions(ctx context.Context, shopID int64, limit, offset int) (ReadinessStateDefinitionsPage, error) {
	var out ReadinessStateDefinitionsPage
	if err := checkID("shop", shopID); err != nil {
		return out, err
	}
	q := url.Values{}
	if err := setPage(q, limit, offset); err != nil {
		return out, err
	}
	err := s.do(ctx, apiRequest{method: http.MethodGet, path: fmt.Sprintf("/application/shops/%d/readiness-state-definitions", shopID), query: q}, &out)
	return out, err
}

// ReceiptsParams filters getShopReceipts. Zero times and nil booleans are
// left out.
type ReceiptsParams struct {
	MinCreated, MaxCreated           time.Time
	MinLastModified, MaxLastModified time.Time
	Limit, Offset                    int
	// SortOn is created, updated or receipt_id; SortOrder asc or desc.
	SortOn, SortOrder                string
	WasPaid, WasShipped, WasCanceled *bool
}

// etsyEpochFloor is the earliest timestamp (2000-01-01) Etsy accepts in
// receipt filters.
const etsyEpochFloor = 946684800

// GetShopReceipts returns a page of a shop's receipts (getShopReceipts).
func (s *ShopClient) GetShopReceipts(ctx context.Context, shopID int64, p ReceiptsParams) (ReceiptsPage, error) {
	var out ReceiptsPage
	if err := checkID("shop", shopID); err != nil {
		return out, err
	}
	q := url.Values{}
	for name, t := range map[string]time.Time{
		"min_created": p.MinCreated, "max_created": p.MaxCreated,
		"min_last_modified": p.MinLastModified, "max_last_modified": p.MaxLastModified,
	} {
		if t.IsZero() {
			continue
		}
		if t.Unix() < etsyEpochFloor {
			return out, fmt.Errorf("etsy: %s %s is before 2000-01-01", name, t.Format(time.RFC3339))
		}
		q.Set(name, strconv.FormatInt(t.Unix(), 10))
	}
	if err := setPage(q, p.Limit, p.Offset); err != nil {
		return out, err
	}
	if p.SortOn != "" {
		if !slices.Contains([]string{"created", "updated", "receipt_id"}, p.SortOn) {
			return out, fmt.Errorf("etsy: receipts cannot be sorted on %q", p.SortOn)
		}
		q.Set("sort_on", p.SortOn)
	}
	if p.SortOrder != "" {
		if !slices.Contains([]string{"asc", "ascending", "desc", "descending", "up", "down"}, p.SortOrder) {
			return out, fmt.Errorf("etsy: unknown sort order %q", p.SortOrder)
		}
		q.Set("sort_order", p.SortOrder)
	}
	for name, b := range map[string]*bool{"was_paid": p.WasPaid, "was_shipped": p.WasShipped, "was_canceled": p.WasCanceled} {
		if b != nil {
			q.Set(name, strconv.FormatBool(*b))
		}
	}
	err := s.do(ctx, apiRequest{method: http.MethodGet, path: fmt.Sprintf("/application/shops/%d/receipts", shopID), query: q}, &out)
	return out, err
}

// GetShopReceipt returns one receipt with its transactions (getShopReceipt).
func (s *ShopClient) GetShopReceipt(ctx context.Context, shopID, receiptID int64) (Receipt, error) {
	return getByID[Receipt](ctx, s, "/application/shops/%d/receipts/%d", pathID{"shop", shopID}, pathID{"receipt", receiptID})
}

// pathID is an id in a request's path and what it names.
type pathID struct {
	what string
	id   int64
}

// getByID GETs the one object at path, a format whose %d verbs take ids in
// order; an id that cannot be one is refused before any call.
func getByID[T any](ctx context.Context, s *ShopClient, path string, ids ...pathID) (T, error) {
	var out T
	args := make([]any, len(ids))
	for i, p := range ids {
		if err := checkID(p.what, p.id); err != nil {
			return out, err
		}
		args[i] = p.id
	}
	err := s.do(ctx, apiRequest{method: http.MethodGet, path: fmt.Sprintf(path, args...)}, &out)
	return out, err
}

func checkID(what string, id int64) error {
	if id <= 0 {
		return fmt.Errorf("etsy: invalid %s id %d", what, id)
	}
	return nil
}

func setPage(q url.Values, limit, offset int) error {
	if limit < 0 || limit > maxPageLimit {
		return fmt.Errorf("etsy: limit %d outside 1..%d", limit, maxPageLimit)
	}
	if offset < 0 || offset > maxOffset {
		return fmt.Errorf("etsy: offset %d outside 0..%d", offset, maxOffset)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	if offset > 0 {
		q.Set("offset", strconv.Itoa(offset))
	}
	return nil
}

func joinIDs(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}
