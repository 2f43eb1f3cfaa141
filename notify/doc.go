// Package notify tells sellers when stock runs low: the Evaluator that
// fires and resolves alerts in the transaction of the stock change, the
// River workers that deliver each alert by email (SMTP) or Telegram exactly
// once, the daily digest, and the notice that a shop must be connected
// again.
package notify
