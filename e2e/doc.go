// Package e2e holds Stockroom's end-to-end tests: they build the real
// server binary, run it in demo mode on loopback ports with its own data
// directory, and drive it the way sellers do, over SSH (Go's client with a
// terminal, and OpenSSH under tmux) and through a browser's OAuth leg.
package e2e
