package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"

	"golang.org/x/term"
)

// newLogger builds the process logger: text on a terminal, JSON otherwise,
// with every configured secret redacted from messages and string values as
// a last line of defence (code never logs secrets on purpose).
func newLogger(w io.Writer, format, level string, secrets []string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level)) // config accepts only slog's level names; anything else is info
	opts := &slog.HandlerOptions{Level: lv}
	if format == "auto" {
		format = "json"
		if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "text"
		}
	}
	var h slog.Handler
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	} else {
		h = slog.NewJSONHandler(w, opts)
	}
	h = &uniqueHandler{base: h, inner: h}
	if len(secrets) > 0 {
		pairs := make([]string, 0, 2*len(secrets))
		for _, s := range secrets {
			pairs = append(pairs, s, "[redacted]")
		}
		h = &redactHandler{next: h, r: strings.NewReplacer(pairs...)}
	}
	return slog.New(h)
}

type redactHandler struct {
	next slog.Handler
	r    *strings.Replacer
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.Replace(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, h.r.Replace(v.String()))
	case slog.KindGroup:
		as := v.Group()
		out := make([]any, len(as))
		for i, g := range as {
			out[i] = h.attr(g)
		}
		return slog.Group(a.Key, out...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, h.r.Replace(err.Error()))
		}
	}
	return a
}

func (h *redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(as))
	for i, a := range as {
		red[i] = h.attr(a)
	}
	return &redactHandler{next: h.next.WithAttrs(red), r: h.r}
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	return &redactHandler{next: h.next.WithGroup(name), r: h.r}
}

// uniqueHandler writes each key once per line. The server names each
// part's logger (component=connect) and some packages name themselves
// too; slog's handlers would write both, and a JSON object with a key
// twice is invalid for many log tools. A later With replaces an earlier
// one's key; a record's attribute whose key a With already set is dropped.
// After WithGroup, attributes belong to the group and pass as they are.
type uniqueHandler struct {
	base    slog.Handler // without attrs
	attrs   []slog.Attr  // attrs given by With, unique keys
	inner   slog.Handler // base with attrs
	grouped bool
}

func (h *uniqueHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *uniqueHandler) Handle(ctx context.Context, rec slog.Record) error {
	if h.grouped || len(h.attrs) == 0 {
		return h.inner.Handle(ctx, rec)
	}
	dup := false
	rec.Attrs(func(a slog.Attr) bool {
		dup = dup || h.has(a.Key)
		return !dup
	})
	if !dup {
		return h.inner.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		if !h.has(a.Key) {
			out.AddAttrs(a)
		}
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *uniqueHandler) has(key string) bool {
	for _, a := range h.attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

func (h *uniqueHandler) WithAttrs(as []slog.Attr) slog.Handler {
	if h.grouped {
		return &uniqueHandler{base: h.base, inner: h.inner.WithAttrs(as), grouped: true}
	}
	merged := make([]slog.Attr, 0, len(h.attrs)+len(as))
	for _, a := range h.attrs {
		if !slices.ContainsFunc(as, func(b slog.Attr) bool { return b.Key == a.Key }) {
			merged = append(merged, a)
		}
	}
	for i, a := range as {
		// Within one With, the last of a key wins too.
		if !slices.ContainsFunc(as[i+1:], func(b slog.Attr) bool { return b.Key == a.Key }) {
			merged = append(merged, a)
		}
	}
	return &uniqueHandler{base: h.base, attrs: merged, inner: h.base.WithAttrs(merged)}
}

func (h *uniqueHandler) WithGroup(name string) slog.Handler {
	return &uniqueHandler{base: h.base, inner: h.inner.WithGroup(name), grouped: true}
}
