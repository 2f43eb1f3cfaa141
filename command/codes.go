// The one-time codes a person issued, listed and revoked: a seller's own
// key link codes (keys links, keys unlink) and the admins' account invites
// (admin invites, admin revoke). Store invites are the members commands'.
// Only a code's hash is stored, so listings show ids, never codes.
package command

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/stockroom/stockroom/store"
)

type codeJSON struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Status   string `json:"status"`
	IssuedBy int64  `json:"issued_by"`
	codeLifeJSON
}

// codeLifeJSON is when a code (a key link, an account or a store invite)
// was made, expires and was used or revoked, and by whom it was used.
type codeLifeJSON struct {
	CreatedAt string  `json:"created_at"`
	ExpiresAt string  `json:"expires_at"`
	UsedAt    *string `json:"used_at"`
	UsedBy    *int64  `json:"used_by"`
	RevokedAt *string `json:"revoked_at"`
}

func codeLife(x store.Code) codeLifeJSON {
	var usedBy *int64
	if x.UsedBy != 0 {
		usedBy = &x.UsedBy
	}
	return codeLifeJSON{CreatedAt: timestamp(x.CreatedAt), ExpiresAt: timestamp(x.ExpiresAt), UsedAt: optTime(x.UsedAt), UsedBy: usedBy,
		RevokedAt: optTime(x.RevokedAt)}
}

var codeCSVHeader = []string{"id", "kind", "status", "issued_by", "created_at", "expires_at", "used_at", "used_by", "revoked_at"}

// codesView is a list of codes in each format; empty is the note a table
// prints when there are none.
func (r *runner) codesView(codes []store.Code, empty string) view {
	now := time.Now()
	out := jsonItems(codes, func(x store.Code) codeJSON {
		return codeJSON{ID: x.ID, Kind: string(x.Kind), Status: inviteStatus(x, now), IssuedBy: x.AccountID, codeLifeJSON: codeLife(x)}
	})
	return view{json: out, csvHeader: codeCSVHeader, empty: empty, count: len(out),
		csv: func() [][]string {
			return codeRecords(codes, now, func(x store.Code) string { return string(x.Kind) })
		},
		table: func(w io.Writer) error {
			t := newTable(w, nil, "ID", "STATUS", "ISSUED BY", "CREATED", "EXPIRES", "USED BY")
			for i, x := range out {
				usedBy := ""
				if x.UsedBy != nil {
					usedBy = strconv.FormatInt(*x.UsedBy, 10)
				}
				t.row(strconv.FormatInt(x.ID, 10), x.Status, strconv.FormatInt(x.IssuedBy, 10),
					shortTime(codes[i].CreatedAt), shortTime(codes[i].ExpiresAt), usedBy)
			}
			return t.flush()
		}}
}

// codeRecords is the CSV of codes as of now, for codeCSVHeader and
// inviteCSVHeader alike: label is the second column, a code's kind or an
// invite's role.
func codeRecords(codes []store.Code, now time.Time, label func(store.Code) string) [][]string {
	recs := make([][]string, len(codes))
	for i, x := range codes {
		usedBy := ""
		if x.UsedBy != 0 {
			usedBy = strconv.FormatInt(x.UsedBy, 10)
		}
		recs[i] = []string{strconv.FormatInt(x.ID, 10), label(x), inviteStatus(x, now), strconv.FormatInt(x.AccountID, 10),
			timestamp(x.CreatedAt), timestamp(x.ExpiresAt), timestamp(x.UsedAt), usedBy, timestamp(x.RevokedAt)}
	}
	return recs
}

// listCodes is the body of the commands that list codes: --all and
// --format, then list(all).
func (r *runner) listCodes(c *invocation, empty string, list func(all bool) ([]store.Code, error)) error {
	fs := c.flags(r)
	all := fs.Bool("all", false, "list used, expired and revoked codes too")
	out := c.output(fs, formatTable, formatCSV, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	codes, err := list(*all)
	if err != nil {
		return err
	}
	return r.show(out, r.codesView(codes, empty))
}

// revokeCode is the body of the commands that revoke a code by its id.
func (r *runner) revokeCode(c *invocation, lister string, revoke func(id int64) error) error {
	pos, err := r.parse(c, c.flags(r), 1, 1)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || id <= 0 {
		return usagef(c, "name the code by its id, as %s lists it (not the code itself)", lister)
	}
	if err := revoke(id); err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "revoked code %d: it can no longer be redeemed\n", id)
	return nil
}

const keysLinksHelp = `Lists the link codes you issued with keys link that a key can still
redeem (--all: used, expired and revoked ones too). Codes are stored hashed,
so only their ids show; keys unlink ID ends one before it is used.`

func runKeysLinks(r *runner, c *invocation) error {
	return r.listCodes(c, "no open link codes: keys link makes one", func(all bool) ([]store.Code, error) {
		return r.app.KeyLinks(r.ctx, r.actor, all)
	})
}

func runKeysUnlink(r *runner, c *invocation) error {
	return r.revokeCode(c, "keys links", func(id int64) error { return r.app.KeyLinkRevoke(r.ctx, r.actor, id) })
}

const adminInvitesHelp = `Lists the account invites of every admin that a person can still
redeem (--all: used, expired and revoked ones too). Invites are stored
hashed, so only their ids show; admin revoke ID ends one before it is used,
and is recorded in the admin ledger (activity --admin).`

func runAdminInvites(r *runner, c *invocation) error {
	return r.listCodes(c, "no open invites: admin invite makes one", func(all bool) ([]store.Code, error) {
		return r.app.AdminInvites(r.ctx, r.actor, all)
	})
}

func runAdminRevoke(r *runner, c *invocation) error {
	return r.revokeCode(c, "admin invites", func(id int64) error { return r.app.AdminInviteRevoke(r.ctx, r.actor, id) })
}
