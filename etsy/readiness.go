// Filling readiness_state_id into inventory writes. Etsy returns an
// offering's readiness_state_id only for active physical listings and may
// send null for any other, yet every offering of an updateListingInventory
// body must carry one: a write rebuilt from what was read would fail on every
// listing that is inactive or sold out, which is exactly when a seller
// restocks it.
package etsy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"
)

// readinessTTL is how long a shop's default processing profile is reused
// before it is asked for again, so a profile the seller adds or deletes is
// noticed within the hour without a call per write.
const readinessTTL = time.Hour

type readinessEntry struct {
	id int64
	at time.Time
}

// readinessCache holds each key's default readiness_state_id. One mutex for
// all keys: a miss costs two calls and happens once an hour per shop, so
// serialising misses is cheaper than reasoning about duplicates.
type readinessCache struct {
	mu      sync.Mutex
	entries map[string]readinessEntry
}

// fillReadiness gives every offering of req without a readiness_state_id
// one: that of another offering in the same body when there is one (a
// listing's offerings share a profile unless readiness_state_on_property
// says otherwise, and then the read would have carried them), otherwise the
// shop's first processing profile from getShopReadinessStateDefinitions.
func (s *ShopClient) fillReadiness(ctx context.Context, req *UpdateInventoryRequest) error {
	var known *int64
	missing := false
	for _, p := range req.Products {
		for _, o := range p.Offerings {
			if o.ReadinessStateID == nil {
				missing = true
			} else if known == nil {
				known = o.ReadinessStateID
			}
		}
	}
	if !missing {
		return nil
	}
	if known == nil {
		id, err := s.defaultReadiness(ctx)
		if err != nil {
			return err
		}
		known = &id
	}
	// The caller's body is left as it was: only this write is filled.
	req.Products = slices.Clone(req.Products)
	for i := range req.Products {
		offs := slices.Clone(req.Products[i].Offerings)
		req.Products[i].Offerings = offs
		for j := range offs {
			if offs[j].ReadinessStateID == nil {
				id := *known
				offs[j].ReadinessStateID = &id
			}
		}
	}
	return nil
}

// defaultReadiness returns the shop's default readiness_state_id, cached
// per key for readinessTTL. The shop id comes from getMe: the inventory
// endpoints are not shop-scoped, and the key's token names one shop.
func (s *ShopClient) defaultReadiness(ctx context.Context) (int64, error) {
	c := s.c.readiness
	c.mu.Lock()
	defer c.mu.Unlock()
	now := s.c.now()
	if e, ok := c.entries[s.key]; ok && now.Sub(e.at) < readinessTTL {
		return e.id, nil
	}
	me, err := s.GetMe(ctx)
	if err != nil {
		return 0, fmt.Errorf("etsy: readiness_state_id is null and the shop is unknown: %w", err)
	}
	defs, err := s.GetShopReadinessStateDefinitions(ctx, me.ShopID, 100, 0)
	if err != nil {
		return 0, fmt.Errorf("etsy: readiness_state_id is null and the shop's processing profiles are unknown: %w", err)
	}
	if len(defs.Results) == 0 {
		return 0, errors.New("etsy: readiness_state_id is null and the shop has no processing profile; add one on Etsy")
	}
	id := defs.Results[0].ReadinessStateID
	if c.entries == nil {
		c.entries = map[string]readinessEntry{}
	}
	c.entries[s.key] = readinessEntry{id: id, at: now}
	return id, nil
}
