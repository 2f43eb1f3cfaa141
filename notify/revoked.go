// The notice that Etsy revoked Stockroom's access to a shop: a River job per
// revocation that tells each owner of the store, on each channel they chose,
// once. What was sent is kept in the job's output, so a retry after a mail
// server or Bot API outage sends only what is still missing.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

// RevokedArgs tells the owners of StoreID that it must be connected again.
// At is when the store went from connected to needs_reauth (Unix seconds):
// with the store it names one revocation, so a retried or repeated insert
// of the same revocation sends nothing more, while a later revocation of a
// store that was reconnected meanwhile is a notice of its own.
type RevokedArgs struct {
	StoreID int64 `json:"store_id" river:"unique"`
	At      int64 `json:"at" river:"unique"`
}

func (RevokedArgs) Kind() string { return "notify_revoked" }

// InsertOpts makes the notice unique per store and revocation whatever the
// job's state, as long as River keeps the job.
func (RevokedArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueNotify, MaxAttempts: maxAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// SenderStore is what the workers read and record: the alerts, and for the
// revocation notice the store, its members and their settings.
type SenderStore interface {
	store.Alerts
	StoreGet(ctx context.Context, storeID int64) (store.Store, error)
	SyncRunGet(ctx context.Context, id int64) (store.SyncRun, error)
	MembershipList(ctx context.Context, storeID int64) ([]store.Membership, error)
	AccountGetByID(ctx context.Context, id int64) (store.Account, error)
}

// JobOutputs writes a running job's output at once (*jobs.Queue).
type JobOutputs interface {
	JobOutputSet(ctx context.Context, jobID int64, output any) error
}

// RevokedWorker sends the notice of one revocation.
type RevokedWorker struct {
	river.WorkerDefaults[RevokedArgs]
	s *Sender
}

func (w *RevokedWorker) Timeout(*river.Job[RevokedArgs]) time.Duration { return 2 * time.Minute }

func (w *RevokedWorker) Work(ctx context.Context, job *river.Job[RevokedArgs]) error {
	return w.s.Revoked(ctx, job.ID, job.Args, revokedOutputOf(job.Output()), job.Attempt >= job.MaxAttempts)
}

// noticeKey is one message of a notice: an account and a channel.
type noticeKey struct {
	AccountID int64         `json:"account_id"`
	Channel   store.Channel `json:"channel"`
}

// RevokedOutput is a revocation job's output: the messages that are done,
// sent or refused for good, and need no other attempt.
type RevokedOutput struct {
	Done []noticeKey `json:"done"`
}

func revokedOutputOf(raw []byte) RevokedOutput {
	var out RevokedOutput
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		return RevokedOutput{} // an unreadable record is no record
	}
	return out
}

// Revoked sends the notice of a revocation to every owner of the store on
// every channel they chose, skipping what done lists. jobID names the
// running job whose output records each message as it goes (0: none, as in
// a call outside River); last says this is the final attempt.
//
// Only owners are told: reconnecting needs the Etsy seller's own login,
// which is the owner's. Managers and viewers see the store marked on the
// Stores screen.
func (s *Sender) Revoked(ctx context.Context, jobID int64, a RevokedArgs, done RevokedOutput, last bool) error {
	st, err := s.db.StoreGet(ctx, a.StoreID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // the store was removed: there is nothing to reconnect
	}
	if err != nil {
		return err
	}
	if st.Status != store.StatusNeedsReauth {
		// Reconnected (or disconnected) before the notice could go out:
		// asking for it now would be wrong.
		s.log.Info("notify: store no longer needs reconnecting, notice dropped", "store", a.StoreID)
		return nil
	}
	members, err := s.db.MembershipList(ctx, a.StoreID)
	if err != nil {
		return err
	}
	msg, err := RevokedMessage(st)
	if err != nil {
		return err
	}
	var retry []error
	for _, m := range members {
		if m.Role != store.RoleOwner {
			continue
		}
		acct, err := s.db.AccountGetByID(ctx, m.AccountID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		for _, ch := range s.revokedChannels(acct) {
			k := noticeKey{AccountID: acct.ID, Channel: ch}
			if slices.Contains(done.Done, k) {
				continue
			}
			mid := fmt.Sprintf("revoked-%d.store-%d.account-%d@%s", a.At, a.StoreID, acct.ID, s.domain)
			sendErr := s.send(ctx, ch, store.DeliveryJob{Email: acct.Email, TelegramChatID: acct.TelegramChatID,
				WhatsAppNumber: acct.WhatsAppNumber}, msg, mid)
			var perm *PermanentError
			switch {
			case sendErr == nil:
			case errors.As(sendErr, &perm) || last:
				s.log.Warn("notify: reconnect notice not sent", "store", a.StoreID, "account", acct.ID,
					"channel", ch, "err", sendErr)
			default:
				retry = append(retry, fmt.Errorf("account %d by %s: %w", acct.ID, ch, sendErr))
				continue
			}
			done.Done = append(done.Done, k)
			s.recordRevoked(ctx, jobID, done)
		}
	}
	return errors.Join(retry...)
}

// revokedChannels are the channels acct chose that this server can send on.
// The notice is urgent: it goes out at once even to those who take their
// alerts as a daily digest.
func (s *Sender) revokedChannels(acct store.Account) []store.Channel {
	if acct.Disabled {
		return nil
	}
	var chs []store.Channel
	if acct.NotifyEmail && acct.Email != "" && s.email != nil {
		chs = append(chs, store.ChannelEmail)
	}
	if acct.NotifyTelegram && acct.TelegramChatID != "" && s.telegram != nil {
		chs = append(chs, store.ChannelTelegram)
	}
	if acct.NotifyWhatsApp && acct.WhatsAppNumber != "" && s.whatsapp != nil {
		chs = append(chs, store.ChannelWhatsApp)
	}
	return chs
}

// recordRevoked keeps what is done in the job's output twice over: at once
// through JobOutputs, so that even a process that dies mid-job leaves the
// record behind, and through River when the attempt ends, which covers a
// failed write of the first. Neither failing is a reason to fail the job:
// the message went out, and retrying would send it again.
func (s *Sender) recordRevoked(ctx context.Context, jobID int64, out RevokedOutput) {
	if jobID == 0 {
		return
	}
	if s.jobs != nil {
		if err := s.jobs.JobOutputSet(ctx, jobID, out); err != nil {
			s.log.Warn("notify: reconnect notice sent but not yet recorded", "job", jobID, "err", err)
		}
	}
	if err := river.RecordOutput(ctx, out); err != nil {
		s.log.Warn("notify: reconnect notice sent but not recorded", "job", jobID, "err", err)
	}
}

const revokedFooter = "You get this because you own this shop in Stockroom and turned on alerts on this channel; change that on the Account screen."

var revokedTmpl = template.Must(template.New("revoked").Parse(`<!DOCTYPE html>
<html><body style="font-family: sans-serif">
<p><strong>Etsy no longer accepts Stockroom's access to {{.Shop}}.</strong> The seller changed their Etsy password or removed the Stockroom app from their Etsy account.</p>
<p>Stock edits made in Stockroom are kept, and will be pushed to Etsy once the shop is connected again.</p>
<p>To reconnect: <code>ssh</code> to Stockroom, open the Stores screen, select {{.Shop}} and press <kbd>c</kbd>.</p>
<p style="color: #666; font-size: smaller">{{.Footer}}</p>
</body></html>
`))

// RevokedMessage renders the notice for st. The shop's name comes from
// Etsy: it passes safetext, and html/template escapes it in the HTML.
func RevokedMessage(st store.Store) (Message, error) {
	shop := safetext.Clean(st.Name)
	if shop == "" {
		shop = fmt.Sprintf("Etsy shop %d", st.EtsyShopID)
	}
	var h bytes.Buffer
	if err := revokedTmpl.Execute(&h, struct{ Shop, Footer string }{shop, revokedFooter}); err != nil {
		return Message{}, err
	}
	text := fmt.Sprintf("Etsy no longer accepts Stockroom's access to %s. The seller changed their Etsy password or removed the Stockroom app from their Etsy account.\n\n"+
		"Stock edits made in Stockroom are kept, and will be pushed to Etsy once the shop is connected again.\n\n"+
		"To reconnect: ssh to Stockroom, open the Stores screen, select %s and press c.\n\n%s\n", shop, shop, revokedFooter)
	return Message{
		Subject: safetext.Header(fmt.Sprintf("Reconnect %s to Stockroom", shop)),
		Text:    text,
		HTML:    h.String(),
	}, nil
}
