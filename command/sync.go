// The sync commands: ask for a sync, wait for it, read the sync log.
package command

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/stockroom/stockroom/app"
	"github.com/stockroom/stockroom/hub"
	"github.com/stockroom/stockroom/store"
)

const syncHelp = `Queues a sync of the store with Etsy (a reconcile, which re-reads every
listing; a full one if the store has never had one). It runs now, after a
sync already running. With --wait, follows that sync on stderr and exits when
it ends: 0 when it succeeded, 1 when it failed. A sync Etsy's rate limit
stops runs again when the limit allows, and the wait follows it. If a sync of the same kind is
already running, that one is the sync waited for; a sync whose server
process stopped is never waited for. If you are removed from the store
meanwhile, the wait ends (exit 1) saying so; the sync carries on.`

// syncPoll is how often sync --wait also reads the sync log, in case the
// live events that normally end the wait were missed.
const syncPoll = 5 * time.Second

type syncRunJSON struct {
	ID              int64   `json:"id"`
	Kind            string  `json:"kind"`
	Trigger         string  `json:"trigger"`
	Result          string  `json:"result"`
	StartedAt       string  `json:"started_at"`
	FinishedAt      *string `json:"finished_at"`
	DurationSeconds float64 `json:"duration_seconds"`
	ListingsChanged int     `json:"listings_changed"`
	ReceiptsChanged int     `json:"receipts_changed"`
	APICalls        int     `json:"api_calls"`
	Error           string  `json:"error"`
}

func syncRunItem(s store.SyncRun) syncRunJSON {
	return syncRunJSON{ID: s.ID, Kind: string(s.Kind), Trigger: string(s.Trigger), Result: string(s.Result),
		StartedAt: timestamp(s.StartedAt), FinishedAt: optTime(s.FinishedAt), DurationSeconds: s.Duration().Seconds(),
		ListingsChanged: s.ListingsChanged, ReceiptsChanged: s.ReceiptsChanged, APICalls: s.APICalls, Error: s.Error}
}

func runSync(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	wait := fs.Bool("wait", false, "follow the sync and exit with its result")
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	if !*wait {
		if err := r.app.SyncNow(r.ctx, r.actor, m.ID); err != nil {
			return err
		}
		r.notef("sync of %s queued", cleanName(m.Name))
		return nil
	}
	// Subscribe before asking so the start of a quick sync is not missed.
	sub, err := r.app.Subscribe(r.ctx, r.actor, m.ID)
	if err != nil {
		return err
	}
	defer sub.Close()
	req, err := r.app.SyncStart(r.ctx, r.actor, m.ID)
	if err != nil {
		return err
	}
	if req.Joined {
		r.notef("a %s sync of %s is running: waiting for it", req.Kind, m.Name)
	} else {
		r.notef("sync of %s queued, waiting for it", m.Name)
	}
	w := &syncWait{r: r, storeID: m.ID, name: m.Name, req: req}
	tick := time.NewTicker(syncPoll)
	defer tick.Stop()
	for {
		var done bool
		var err error
		select {
		case <-r.ctx.Done():
			return fmt.Errorf("stopped waiting (the sync carries on): %w", r.ctx.Err())
		case e, ok := <-sub.C:
			if !ok {
				return errors.New("stopped receiving updates (the sync carries on): see sync log")
			}
			switch {
			case sub.Missed():
				done, err = w.check()
			case e.Kind == hub.MembersChanged:
				// A removal ends the wait at once, as it ends alerts --follow.
				err = w.member()
			case (e.Kind == hub.SyncStarted || e.Kind == hub.SyncFinished) && e.JobID == req.JobID:
				done, err = w.check()
			}
		case <-tick.C:
			done, err = w.check()
		}
		if done || err != nil {
			return err
		}
	}
}

// syncWait follows the run of the sync request's job: not any sync that
// happens to start meanwhile (a scheduled one, a webhook's).
type syncWait struct {
	r       *runner
	storeID int64
	name    string
	req     app.SyncRequest
	started int64
	retried int64 // the run last reported as to be run again
}

// member ends the wait of an account that is no longer a member of the
// store, saying so.
func (w *syncWait) member() error {
	return w.r.stillMember(w.storeID, w.name, "stopped waiting (the sync carries on)")
}

// stillMember is nil while the actor is a member of the store, else the
// error that ends a command running on in it: it names the store and what
// stopped.
func (r *runner) stillMember(storeID int64, name, stopped string) error {
	err := r.app.StillMember(r.ctx, r.actor, storeID)
	if errors.Is(err, app.ErrNoLongerMember) {
		return fmt.Errorf("you are no longer a member of %s: %s", cleanName(name), stopped)
	}
	return err
}

// check reads the job's run: it reports the run's start once and tells
// whether it has finished, with an error when it failed. A run of a
// process that died is closed as failed by the server within seconds, so
// the wait never follows a dead job.
func (w *syncWait) check() (bool, error) {
	run, err := w.r.app.SyncRunOf(w.r.ctx, w.r.actor, w.storeID, w.req)
	if errors.Is(err, store.ErrNotFound) {
		// No run yet, or no store for this account any more.
		return false, w.member()
	}
	if err != nil {
		return false, err
	}
	if w.started != run.ID {
		w.started = run.ID
		w.r.notef("sync %d started (%s)", run.ID, run.Kind)
	}
	if run.Result == store.ResultRunning {
		return false, nil
	}
	// A run cut short by Etsy's rate limit is not the sync's outcome: its
	// job waits out the limit and runs again, and that run is followed.
	again, err := w.r.app.SyncRetries(w.r.ctx, w.r.actor, run)
	if err != nil {
		return false, err
	}
	if again == app.SyncRetryEnding {
		return false, nil // its job is still ending: whether it runs again is not known yet
	}
	if again == app.SyncRetryQueued {
		if w.retried != run.ID {
			w.retried = run.ID
			w.r.notef("sync %d stopped (%s); it runs again when Etsy allows: waiting", run.ID, run.Error)
		}
		return false, nil
	}
	fmt.Fprintf(w.r.env.Stdout, "sync %d %s: %d listing(s) and %d receipt(s) changed, %d Etsy call(s), %s\n",
		run.ID, run.Result, run.ListingsChanged, run.ReceiptsChanged, run.APICalls, run.Duration().Round(time.Millisecond))
	if run.Result != store.ResultOK {
		msg := run.Error
		if msg == "" {
			msg = "no reason recorded"
		}
		return true, fmt.Errorf("sync %d failed: %s", run.ID, msg)
	}
	return true, nil
}

func runSyncLog(r *runner, c *invocation) error {
	fs := c.flags(r)
	storeRef := storeFlag(fs)
	limit := fs.Int("limit", 20, "`N` runs, newest first (at most 500)")
	out := c.output(fs, formatTable, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	if *limit < 1 || *limit > 500 {
		return usagef(c, "--limit must be from 1 to 500")
	}
	m, err := r.resolveStore(*storeRef)
	if err != nil {
		return err
	}
	runs, err := r.app.SyncLog(r.ctx, r.actor, m.ID, *limit)
	if err != nil {
		return err
	}
	items := jsonItems(runs, syncRunItem)
	return r.show(out, view{json: items, empty: "no syncs yet", count: len(items),
		table: func(w io.Writer) error { return syncRunTable(w, runs) }})
}

func syncRunTable(w io.Writer, runs []store.SyncRun) error {
	t := newTable(w, []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 60},
		"RUN", "STARTED", "KIND", "TRIGGER", "RESULT", "TOOK", "LISTINGS", "RECEIPTS", "CALLS", "ERROR")
	for _, s := range runs {
		took := ""
		if !s.FinishedAt.IsZero() {
			took = s.Duration().Round(time.Millisecond).String()
		}
		t.row(strconv.FormatInt(s.ID, 10), shortTime(s.StartedAt), string(s.Kind), string(s.Trigger), string(s.Result), took,
			strconv.Itoa(s.ListingsChanged), strconv.Itoa(s.ReceiptsChanged), strconv.Itoa(s.APICalls), s.Error)
	}
	return t.flush()
}
