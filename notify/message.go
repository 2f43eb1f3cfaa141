// The words of an alert: email subject, plain text and HTML, and the
// Telegram text. Every field from Etsy passes safetext; HTML goes through
// html/template, which escapes it.
package notify

import (
	"bytes"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/stockroom/stockroom/safetext"
	"github.com/stockroom/stockroom/store"
)

// line is one alert made safe for any output.
type line struct {
	Kind      store.AlertKind
	Urgent    bool
	Store     string
	Title     string
	Variation string
	SKU       string
	URL       string
	Quantity  int
	Threshold int
	// CoverDays is the days of cover a runs-out alert fired at.
	CoverDays float64
	FiredAt   string
}

func lineOf(v store.AlertView) line {
	l := line{Kind: v.Kind, Urgent: v.Kind == store.AlertOutOfStock, Store: safetext.Clean(v.StoreName),
		Title: safetext.Clean(v.Title), Variation: safetext.Clean(v.Variation), SKU: safetext.Clean(v.SKU),
		Quantity: v.Quantity, Threshold: v.Threshold, CoverDays: v.CoverDays, FiredAt: v.FiredAt.UTC().Format("2006-01-02 15:04 UTC")}
	if u := safetext.Clean(v.URL); strings.HasPrefix(u, "https://") {
		l.URL = u // anything else is not a link we send people to
	}
	if l.Title == "" {
		l.Title = fmt.Sprintf("listing %d", v.EtsyListingID)
	}
	return l
}

// name is the row as a person calls it: title, then variation.
func (l line) name() string {
	if l.Variation == "" {
		return l.Title
	}
	return l.Title + " (" + l.Variation + ")"
}

func (l line) status() string {
	switch {
	case l.Urgent:
		return "Out of stock"
	case l.Kind == store.AlertRunsOut:
		return fmt.Sprintf("Runs out within %d days: %d left", l.Threshold, l.Quantity)
	}
	return fmt.Sprintf("Low stock: %d left", l.Quantity)
}

// detail says what the alert measured and what it fires at.
func (l line) detail() string {
	if l.Kind == store.AlertRunsOut {
		return fmt.Sprintf("Available: %d, about %.1f days at the last 30 days' sales (alert under %d days)", l.Quantity, l.CoverDays, l.Threshold)
	}
	return fmt.Sprintf("Available: %d (alert at %d or fewer)", l.Quantity, l.Threshold)
}

func (l line) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n", l.status(), l.name())
	if l.SKU != "" {
		fmt.Fprintf(&b, "SKU: %s\n", l.SKU)
	}
	fmt.Fprintf(&b, "Shop: %s\n%s\nSince: %s\n", l.Store, l.detail(), l.FiredAt)
	if l.URL != "" {
		fmt.Fprintf(&b, "%s\n", l.URL)
	}
	return b.String()
}

// Message is a rendered alert or digest.
type Message struct {
	Subject string
	Text    string
	HTML    string
}

const footer = "You get this because of your Stockroom alert settings; change them on the Alerts screen or with the profile command."

var htmlTmpl = template.Must(template.New("alert").Parse(`<!DOCTYPE html>
<html><body style="font-family: sans-serif">
{{- if .Intro}}<p>{{.Intro}}</p>{{end}}
{{- range .Lines}}
<div style="margin: 0 0 1em 0">
<p style="margin: 0"><strong{{if .Urgent}} style="color: #b00020"{{end}}>{{.Status}}</strong> · {{.Store}}</p>
<p style="margin: 0">{{if .URL}}<a href="{{.URL}}">{{.Name}}</a>{{else}}{{.Name}}{{end}}</p>
{{- if .SKU}}<p style="margin: 0">SKU: {{.SKU}}</p>{{end}}
<p style="margin: 0">{{.Detail}} · since {{.FiredAt}}</p>
</div>
{{- end}}
<p style="color: #666; font-size: smaller">{{.Footer}}</p>
</body></html>
`))

type htmlLine struct {
	line
	Status, Name, Detail string
}

func renderHTML(intro string, lines []line) (string, error) {
	data := struct {
		Intro, Footer string
		Lines         []htmlLine
	}{Intro: intro, Footer: footer}
	for _, l := range lines {
		data.Lines = append(data.Lines, htmlLine{line: l, Status: l.status(), Name: l.name(), Detail: l.detail()})
	}
	var b bytes.Buffer
	if err := htmlTmpl.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// AlertMessage renders one alert.
func AlertMessage(v store.AlertView) (Message, error) {
	l := lineOf(v)
	h, err := renderHTML("", []line{l})
	if err != nil {
		return Message{}, err
	}
	return Message{
		Subject: safetext.Header(fmt.Sprintf("%s: %s [%s]", l.status(), l.name(), l.Store)),
		Text:    l.text() + "\n" + footer + "\n",
		HTML:    h,
	}, nil
}

// DigestMessage renders the summary of several alerts, oldest first.
func DigestMessage(views []store.AlertView, day time.Time) (Message, error) {
	lines := make([]line, len(views))
	out := 0
	var b strings.Builder
	for i, v := range views {
		lines[i] = lineOf(v)
		if lines[i].Urgent {
			out++
		}
	}
	intro := fmt.Sprintf("%d stock alert(s) since the last summary", len(views))
	if out > 0 {
		intro += fmt.Sprintf(", %d out of stock", out)
	}
	intro += "."
	b.WriteString(intro + "\n\n")
	for _, l := range lines {
		b.WriteString(l.text() + "\n")
	}
	b.WriteString(footer + "\n")
	h, err := renderHTML(intro, lines)
	if err != nil {
		return Message{}, err
	}
	return Message{
		Subject: safetext.Header(fmt.Sprintf("Stockroom daily summary for %s: %d alert(s)", day.Format("2006-01-02"), len(views))),
		Text:    b.String(),
		HTML:    h,
	}, nil
}
