package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/stockroom/stockroom/store"
	"github.com/stockroom/stockroom/tui/internal/tuitest"
)

// layoutShop has a long SKU, and two variations of one listing that
// differ only at the end of a long variation text and have no SKU.
func layoutShop() []store.ListingSnapshot {
	twins := tuitest.Listing(201, "Speckled stoneware mug with handle",
		V{Name: "Colour: Oat / Size: Large / Glaze: Matte speckled", Quantity: 12},
		V{Name: "Colour: Oat / Size: Large / Glaze: Glossy speckled", Quantity: 3})
	for i := range twins.Products {
		twins.Products[i].SKU = ""
	}
	return []store.ListingSnapshot{
		twins,
		tuitest.Listing(202, "Linen tote bag", V{Name: "Size: Large", SKU: "POTTERY-TOTE-LARGE-NAT", Quantity: 30}),
	}
}

// Issue 17: at 60×15 the tab bar lost screens and columns were cut
// mid-word; at 120×40 two variations of one listing showed the same
// truncated text with no SKU. Columns are laid out by priority: quantity
// and SKU are never dropped, every column has a header (the LOW/OUT one
// too), money is right-aligned.
func TestInventoryLayoutByPriority(t *testing.T) {
	for _, size := range [][2]int{{60, 15}, {120, 40}} {
		w, h := size[0], size[1]
		env := tuitest.New(t, layoutShop(), tuitest.Options{})
		l := newLoop(t, New(session(env, &env.Owner, "inventory", nil)), w, h)
		l.settle("the inventory", func() bool { return strings.Contains(l.plain(), "POTTERY-TOTE-LARGE-NAT") })
		l.quiet()
		lines := strings.Split(l.plain(), "\n")
		for _, line := range lines {
			if ansi.StringWidth(line) > w {
				t.Errorf("%dx%d: line wider than the terminal: %q", w, h, line)
			}
		}
		for i := range 6 {
			if !strings.Contains(lines[0], string(rune('1'+i))) {
				t.Errorf("%dx%d: the tab bar lacks screen %d: %q", w, h, i+1, lines[0])
			}
		}
		var header string
		var rows []string
		for i, line := range lines {
			if strings.Contains(line, "Qty") {
				header = line
				rows = lines[i+1:]
				break
			}
		}
		for _, col := range []string{"SKU", "Qty", "Stock", "Push"} {
			if !strings.Contains(header, col) {
				t.Errorf("%dx%d: header %q lacks %s", w, h, header, col)
			}
		}
		var twins []string
		for i, r := range rows {
			if strings.TrimSpace(r) == "" {
				rows = rows[:i]
				break
			}
		}
		for _, r := range rows {
			if strings.Contains(r, " 12 ") || strings.Contains(r, " 3 ") {
				twins = append(twins, strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(r, "›"), " ")))
			}
		}
		if len(twins) != 2 {
			t.Fatalf("%dx%d: rows %q", w, h, rows)
		}
		if w >= 120 {
			a, b := strings.Fields(twins[0]), strings.Fields(twins[1])
			if strings.Join(a[:len(a)-1], " ") == strings.Join(b[:len(b)-1], " ") {
				t.Errorf("%dx%d: two variations read the same:\n%s\n%s", w, h, twins[0], twins[1])
			}
			// Money right-aligned under its header.
			col := func(s, sub string) int { return ansi.StringWidth(s[:strings.Index(s, sub)+len(sub)]) }
			end := col(header, "Price")
			for _, r := range rows {
				if strings.Contains(r, "25.00") && col(r, "25.00") != end {
					t.Errorf("price not right-aligned under its header:\n%s\n%s", header, r)
				}
			}
		}
	}
}
