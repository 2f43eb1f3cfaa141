// The keys commands: the SSH keys that sign in to the account.
package command

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxKeyBytes caps keys add's stdin: an authorized_keys line is well under
// 16 KiB even for the largest RSA keys.
const maxKeyBytes = 16 << 10

type keyJSON struct {
	ID          int64   `json:"id"`
	Fingerprint string  `json:"fingerprint"`
	Comment     string  `json:"comment"`
	Current     bool    `json:"current"`
	CreatedAt   string  `json:"created_at"`
	LastUsedAt  *string `json:"last_used_at"`
}

func runKeysList(r *runner, c *invocation) error {
	fs := c.flags(r)
	formatV := formatFlag(fs, formatTable, formatJSON)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	f, err := checkFormat(c, *formatV, formatTable, formatJSON)
	if err != nil {
		return err
	}
	keys, err := r.app.Keys(r.ctx, r.actor)
	if err != nil {
		return err
	}
	out := make([]keyJSON, len(keys))
	for i, k := range keys {
		out[i] = keyJSON{ID: k.ID, Fingerprint: k.Fingerprint, Comment: k.Comment, Current: k.Fingerprint == r.actor.Fingerprint,
			CreatedAt: timestamp(k.CreatedAt), LastUsedAt: optTime(k.LastUsedAt)}
	}
	if f == formatJSON {
		return writeJSON(r.env.Stdout, out)
	}
	t := newTable(r.env.Stdout, []int{0, 0, 40, 0, 0}, "ID", "FINGERPRINT", "COMMENT", "ADDED", "LAST USED")
	for i, k := range out {
		id := strconv.FormatInt(k.ID, 10)
		if k.Current {
			id += "*"
		}
		t.row(id, k.Fingerprint, k.Comment, shortTime(keys[i].CreatedAt), shortTime(keys[i].LastUsedAt))
	}
	if err := t.flush(); err != nil {
		return err
	}
	r.notef("* the key of this session")
	return nil
}

func runKeysAdd(r *runner, c *invocation) error {
	fs := c.flags(r)
	if _, err := r.parse(c, fs, 0, 0); err != nil {
		return err
	}
	data, err := readCapped(r.env.Stdin, maxKeyBytes)
	if err != nil {
		return err
	}
	line := strings.TrimSpace(string(data))
	if line == "" {
		return usagef(c, "pipe a public key on stdin, e.g. ssh host keys add < ~/.ssh/id_ed25519.pub")
	}
	if strings.Contains(line, "\n") {
		return errors.New("one key at a time: stdin holds several lines")
	}
	k, err := r.app.KeyAdd(r.ctx, r.actor, line)
	if err != nil {
		return err
	}
	fmt.Fprintf(r.env.Stdout, "added key %d %s\n", k.ID, k.Fingerprint)
	return nil
}

func runKeysRemove(r *runner, c *invocation) error {
	fs := c.flags(r)
	pos, err := r.parse(c, fs, 1, 1)
	if err != nil {
		return err
	}
	keys, err := r.app.Keys(r.ctx, r.actor)
	if err != nil {
		return err
	}
	ref := strings.TrimSpace(pos[0])
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, k := range keys {
		if (id != 0 && k.ID == id) || k.Fingerprint == ref {
			if err := r.app.KeyRemove(r.ctx, r.actor, k.ID); err != nil {
				return err
			}
			fmt.Fprintf(r.env.Stdout, "removed key %d %s\n", k.ID, k.Fingerprint)
			return nil
		}
	}
	return fmt.Errorf("you have no key %q: keys list shows them", ref)
}
