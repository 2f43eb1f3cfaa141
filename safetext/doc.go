// Package safetext is the one sanitiser every string from Etsy or from
// another user passes before a terminal (or an email header) sees it:
// listing titles, SKUs, variation names, buyer names and messages,
// addresses and Etsy's own error messages.
//
// The threat is text that the terminal interprets instead of displaying:
// escape sequences that rewrite the clipboard (OSC 52), plant hyperlinks
// (OSC 8), clear the screen or query the terminal and inject a reply
// (CSI 6n), and bidirectional or invisible characters that make one string
// look like another. Output contains only printable, valid UTF-8; Stockroom's
// own styling is applied afterwards.
package safetext
