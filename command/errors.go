// How errors read on stderr.
package command

import (
	"context"
	"errors"
	"fmt"

	"github.com/stockroom/stockroom/store"
)

// describe turns an error into the message a seller reads. Application
// errors already read well; store sentinels get context.
func describe(err error) string {
	var stale *store.StaleError
	switch {
	case errors.As(err, &stale):
		return fmt.Sprintf("%q changed elsewhere (now %d): nothing applied, try again", stale.Current.SKU, stale.Current.Shown())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "interrupted: " + err.Error()
	case errors.Is(err, store.ErrNotFound):
		return "not found: " + err.Error()
	}
	return err.Error()
}
