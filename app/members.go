// Teams: the members of a store and their roles, and disconnecting a shop.
//
// Owners do everything; managers edit stock and thresholds, import and run
// syncs; viewers read. Every change here publishes hub.MembersChanged, so
// the sessions of the member it touched re-read their stores at once.
package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

// ErrLastOwner refuses to leave a store without an owner.
var ErrLastOwner = errors.New("a store needs an owner: make another member owner first (members role MEMBER owner)")

// ErrDisconnected refuses a stock edit in a store disconnected from Etsy.
var ErrDisconnected = errors.New("this store is disconnected from Etsy: its history is read-only until an owner connects it again")

// RoleError refuses what the member's role does not allow. It names the
// role, so a viewer's refused `stock set` says why.
type RoleError struct {
	Role store.Role
	// Action is what was refused, in a seller's words ("manage members").
	Action string
}

func (e *RoleError) Error() string {
	if e.Role == store.RoleViewer {
		return "you are a viewer of this store: viewers can read it but not change it"
	}
	return fmt.Sprintf("you are a %s of this store: only its owners can %s", e.Role, e.Action)
}

// Is makes errors.Is(err, ErrViewer) hold for a viewer and
// errors.Is(err, ErrNotOwner) for any refusal (ErrNotOwner is the
// one-time codes' answer to a non-owner's store invite).
func (e *RoleError) Is(target error) bool {
	return target == ErrNotOwner || (target == ErrViewer && e.Role == store.RoleViewer)
}

// owner loads a store the actor owns.
func (s *Service) owner(ctx context.Context, a Actor, storeID int64, action string) (store.MemberStore, error) {
	m, err := s.member(ctx, a, storeID)
	if err != nil {
		return m, err
	}
	if m.Role != store.RoleOwner {
		return m, &RoleError{Role: m.Role, Action: action}
	}
	return m, nil
}

// Members lists a store's members, owners first. Every member may see
// who else is in the store.
func (s *Service) Members(ctx context.Context, a Actor, storeID int64) ([]store.Membership, error) {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return nil, err
	}
	return s.db.MembershipList(ctx, storeID)
}

// FindMember resolves what a command names: an account id, a name or an
// email of one of the store's members.
func FindMember(members []store.Membership, ref string) (store.Membership, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return store.Membership{}, errors.New("name a member: their account id, name or email (members list shows them)")
	}
	id, _ := strconv.ParseInt(ref, 10, 64) // not a number: id 0, and ref is matched as a name or email
	var found []store.Membership
	for _, m := range members {
		if (id != 0 && m.AccountID == id) || strings.EqualFold(m.Name, ref) || (m.Email != "" && strings.EqualFold(m.Email, ref)) {
			found = append(found, m)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return store.Membership{}, fmt.Errorf("no member %q in this store: members list shows them", safetext.Clean(ref))
	}
	ids := make([]string, len(found))
	for i, m := range found {
		ids[i] = strconv.FormatInt(m.AccountID, 10)
	}
	return store.Membership{}, fmt.Errorf("several members are called %q: name one by account id (%s)", safetext.Clean(ref), strings.Join(ids, ", "))
}

// ParseRole reads a role as a person types it.
func ParseRole(s string) (store.Role, error) {
	r := store.Role(strings.ToLower(strings.TrimSpace(s)))
	if !r.Valid() {
		return "", fmt.Errorf("unknown role %q: choose owner, manager or viewer", safetext.Clean(s))
	}
	return r, nil
}

// MemberSetRole gives a member another role (owners only). Ownership
// moves by making another member owner, then stepping down; the last
// owner cannot step down.
func (s *Service) MemberSetRole(ctx context.Context, a Actor, storeID, accountID int64, role store.Role) (store.Membership, error) {
	if !role.Valid() {
		return store.Membership{}, fmt.Errorf("unknown role %q: choose owner, manager or viewer", safetext.Clean(string(role)))
	}
	if _, err := s.owner(ctx, a, storeID, "change members' roles"); err != nil {
		return store.Membership{}, err
	}
	m, err := s.db.MembershipSetRole(ctx, &store.MembershipSetRoleParams{AccountID: accountID, StoreID: storeID, Role: role})
	if err != nil {
		return m, memberErr(err)
	}
	s.membersChanged(ctx, a, storeID, accountID, "member role changed", "role", string(role))
	return m, nil
}

// MemberRemove takes a member out of a store (owners only; anyone may
// remove themselves, which is Leave).
func (s *Service) MemberRemove(ctx context.Context, a Actor, storeID, accountID int64) error {
	if accountID == a.Account.ID {
		return s.Leave(ctx, a, storeID)
	}
	if _, err := s.owner(ctx, a, storeID, "remove members"); err != nil {
		return err
	}
	if err := s.db.MembershipRemove(ctx, &store.MembershipRemoveParams{AccountID: accountID, StoreID: storeID}); err != nil {
		return memberErr(err)
	}
	s.membersChanged(ctx, a, storeID, accountID, "member removed")
	return nil
}

// Leave takes the actor out of one of their stores. The last owner must
// hand the store to another owner first.
func (s *Service) Leave(ctx context.Context, a Actor, storeID int64) error {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return err
	}
	if err := s.db.MembershipRemove(ctx, &store.MembershipRemoveParams{AccountID: a.Account.ID, StoreID: storeID}); err != nil {
		return memberErr(err)
	}
	s.membersChanged(ctx, a, storeID, a.Account.ID, "member left")
	return nil
}

func memberErr(err error) error {
	switch {
	case errors.Is(err, store.ErrLastOwner):
		return ErrLastOwner
	case errors.Is(err, store.ErrNotFound):
		return errors.New("that account is not a member of this store")
	}
	return err
}

// membersChanged records a change of a store's members and tells every
// session: the member touched re-reads their stores (and loses this one
// if removed), the others redraw the member list.
func (s *Service) membersChanged(ctx context.Context, a Actor, storeID, accountID int64, what string, extra ...any) {
	s.security(ctx, what, a.who(), append([]any{"store", storeID, "member", accountID}, extra...)...)
	s.hub.Publish(hub.Event{Kind: hub.MembersChanged, StoreID: storeID, AccountID: accountID})
}

// Disconnect unlinks a store from Etsy (owners only): Stockroom's tokens
// are deleted, syncs and pushes stop, and its listings, sales and history
// stay readable. Connecting the shop again with the normal connect flow
// links it back.
func (s *Service) Disconnect(ctx context.Context, a Actor, storeID int64) error {
	m, err := s.owner(ctx, a, storeID, "disconnect the shop")
	if err != nil {
		return err
	}
	if m.Status == store.StatusDisconnected {
		return errors.New("this store is already disconnected")
	}
	if err := s.db.StoreDisconnect(ctx, &store.StoreDisconnectParams{StoreID: storeID, Now: s.now()}); err != nil {
		return err
	}
	s.security(ctx, "store disconnected", a.who(), "store", storeID)
	s.hub.Publish(hub.Event{Kind: hub.StoreChanged, StoreID: storeID, State: string(store.StatusDisconnected)})
	return nil
}

// ErrAlreadyMember is a signed-in account redeeming an invite to a store
// it is in; the code stays unused.
var ErrAlreadyMember = errors.New("you are already a member of that store: the code is still unused")

// joined finishes a redeemed invite: a store's new member reaches the
// sessions that list its members, and a signed-in account's only possible
// conflict, the membership, is named as such.
func (s *Service) joined(a Actor, c store.Code, err error, signedIn bool) error {
	if errors.Is(err, ErrKeyHasAccount) && signedIn {
		return ErrAlreadyMember
	}
	if err == nil && c.Kind == store.CodeStoreInvite {
		s.hub.Publish(hub.Event{Kind: hub.MembersChanged, StoreID: c.StoreID, AccountID: a.Account.ID})
	}
	return err
}

// Invite issues a one-time code that makes its redeemer a viewer or a
// manager of the store (owners only). It works once, for StoreInviteTTL,
// and only its hash is kept: the code is shown this once.
func (s *Service) Invite(ctx context.Context, a Actor, storeID int64, role store.Role) (IssuedCode, error) {
	if role != store.RoleViewer && role != store.RoleManager {
		return IssuedCode{}, fmt.Errorf("invite as viewer or manager (not %q): make a member owner once they have joined", safetext.Clean(string(role)))
	}
	if _, err := s.owner(ctx, a, storeID, "invite members"); err != nil {
		return IssuedCode{}, err
	}
	return s.IssueCode(ctx, a, IssueCodeParams{Kind: store.CodeStoreInvite, StoreID: storeID, Role: role})
}

// Invites lists a store's invites, newest first (owners only): those
// still open, or with all, used, expired and revoked ones too.
func (s *Service) Invites(ctx context.Context, a Actor, storeID int64, all bool) ([]store.Code, error) {
	if _, err := s.owner(ctx, a, storeID, "see invites"); err != nil {
		return nil, err
	}
	return s.db.CodeList(ctx, &store.CodeListParams{Kind: store.CodeStoreInvite, StoreID: storeID, Pending: !all, Now: s.now()})
}

// InviteRevoke ends an invite of the store before it is used. Any owner
// of the store may revoke any of its invites.
func (s *Service) InviteRevoke(ctx context.Context, a Actor, storeID, codeID int64) error {
	codes, err := s.Invites(ctx, a, storeID, true)
	if err != nil {
		return err
	}
	found := false
	for _, c := range codes {
		found = found || c.ID == codeID
	}
	if !found {
		return fmt.Errorf("this store has no invite %d: members invites lists them", codeID)
	}
	c, err := s.db.CodeRevoke(ctx, &store.CodeRevokeParams{ID: codeID, Now: s.now()})
	switch {
	case errors.Is(err, store.ErrUsed):
		return errors.New("that invite was already used: members remove takes the member out")
	case err != nil:
		return err
	}
	s.security(ctx, "code revoked", a.who(), "code_id", c.ID, "kind", string(c.Kind), "issuer", c.AccountID, "store", storeID)
	s.hub.Publish(hub.Event{Kind: hub.MembersChanged, StoreID: storeID})
	return nil
}

// SetStoreAlerts chooses whether the store's low-stock alerts reach the
// actor, on the channels of their account (Account screen). Any member
// chooses for themselves, viewers too: it changes nothing in the store.
func (s *Service) SetStoreAlerts(ctx context.Context, a Actor, storeID int64, on bool) error {
	if _, err := s.member(ctx, a, storeID); err != nil {
		return err
	}
	if err := s.db.MembershipSetAlerts(ctx, &store.MembershipSetAlertsParams{AccountID: a.Account.ID, StoreID: storeID, Alerts: on}); err != nil {
		return err
	}
	s.hub.Publish(hub.Event{Kind: hub.MembersChanged, StoreID: storeID, AccountID: a.Account.ID})
	return nil
}

// ErrNoLongerMember ends what a removed member had running in a store
// (sync --wait, alerts --follow): the store's news is no longer theirs.
var ErrNoLongerMember = errors.New("you are no longer a member of this store")

// StillMember answers ErrNoLongerMember once the actor has left or been
// removed from the store, for commands that run on while members change.
func (s *Service) StillMember(ctx context.Context, a Actor, storeID int64) error {
	_, err := s.member(ctx, a, storeID)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoLongerMember
	}
	return err
}
