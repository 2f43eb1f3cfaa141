// Package notify tells sellers when stock runs low: the Evaluator that
// fires and resolves alerts in the transaction of the stock change, the
// River workers that deliver each alert by email (SMTP) or Telegram exactly
// once, and the daily digest.
package notify
