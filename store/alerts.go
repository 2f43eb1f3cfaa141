// Low-stock alerts and their notification deliveries.
package store

type Alerts interface {
}
