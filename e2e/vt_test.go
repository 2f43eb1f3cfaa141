// A small virtual terminal: it applies what the TUI writes (text, cursor
// moves, erases, scroll regions) to a grid of cells, so tests read the
// screen a seller sees rather than the byte stream, in which the renderer
// only redraws the cells that changed.
package e2e

import (
	"strings"
	"sync"

	"github.com/charmbracelet/x/ansi"
)

// vterm is a terminal screen of fixed size. It is safe for one writer and
// many readers.
type vterm struct {
	mu         sync.Mutex
	p          *ansi.Parser
	cols, rows int
	cells      [][]string // "" is a blank; wideTail follows a wide rune
	x, y       int
	top, bot   int // scroll region, inclusive
	autowrap   bool
	pending    bool // the last column was written: the next rune wraps first
	saveX      int
	saveY      int
	last       rune
	raw        strings.Builder
}

const wideTail = "\x00"

func newVterm(cols, rows int) *vterm {
	v := &vterm{cols: cols, rows: rows, bot: rows - 1, autowrap: true}
	v.cells = make([][]string, rows)
	for i := range v.cells {
		v.cells[i] = make([]string, cols)
	}
	v.p = ansi.NewParser()
	v.p.SetHandler(ansi.Handler{
		Print:     v.print,
		Execute:   v.execute,
		HandleCsi: v.csi,
		HandleEsc: v.esc,
	})
	return v
}

func (v *vterm) Write(b []byte) (int, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.raw.Write(b)
	v.p.Parse(b)
	return len(b), nil
}

// Screen is the visible text, one line per row, trailing blanks cut.
func (v *vterm) Screen() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	lines := make([]string, v.rows)
	for y, row := range v.cells {
		var b strings.Builder
		for _, c := range row {
			switch c {
			case "":
				b.WriteByte(' ')
			case wideTail:
			default:
				b.WriteString(c)
			}
		}
		lines[y] = strings.TrimRight(b.String(), " ")
	}
	return strings.Join(lines, "\n")
}

// Raw is every byte written so far.
func (v *vterm) Raw() string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.raw.String()
}

func (v *vterm) print(r rune) {
	w := ansi.StringWidth(string(r))
	if w == 0 {
		return
	}
	if v.pending || v.x+w > v.cols {
		if v.autowrap {
			v.x = 0
			v.index()
		} else {
			v.x = v.cols - w
		}
		v.pending = false
	}
	row := v.cells[v.y]
	row[v.x] = string(r)
	for i := 1; i < w && v.x+i < v.cols; i++ {
		row[v.x+i] = wideTail
	}
	v.last = r
	if v.x+w >= v.cols {
		v.x = v.cols - 1
		v.pending = true
	} else {
		v.x += w
	}
}

func (v *vterm) execute(b byte) {
	switch b {
	case '\r':
		v.x, v.pending = 0, false
	case '\n', '\v', '\f':
		v.index()
	case '\b':
		if v.x > 0 {
			v.x--
		}
		v.pending = false
	case '\t':
		v.x = min((v.x/8+1)*8, v.cols-1)
	}
}

// index moves down a line, scrolling the region at its bottom.
func (v *vterm) index() {
	v.pending = false
	if v.y == v.bot {
		v.scrollUp(1)
	} else if v.y < v.rows-1 {
		v.y++
	}
}

func (v *vterm) reverseIndex() {
	v.pending = false
	if v.y == v.top {
		v.scrollDown(1)
	} else if v.y > 0 {
		v.y--
	}
}

func (v *vterm) blankRow() []string { return make([]string, v.cols) }

func (v *vterm) scrollUp(n int) {
	for range n {
		copy(v.cells[v.top:v.bot+1], v.cells[v.top+1:v.bot+1])
		v.cells[v.bot] = v.blankRow()
	}
}

func (v *vterm) scrollDown(n int) {
	for range n {
		copy(v.cells[v.top+1:v.bot+1], v.cells[v.top:v.bot])
		v.cells[v.top] = v.blankRow()
	}
}

func (v *vterm) clamp() {
	v.x = max(0, min(v.x, v.cols-1))
	v.y = max(0, min(v.y, v.rows-1))
	v.pending = false
}

func (v *vterm) erase(y, from, to int) {
	for x := max(from, 0); x < min(to, v.cols); x++ {
		v.cells[y][x] = ""
	}
}

func (v *vterm) csi(cmd ansi.Cmd, params ansi.Params) {
	n := func(i, def int) int {
		p, _, _ := params.Param(i, def)
		if p == 0 && def > 0 {
			return def
		}
		return p
	}
	if cmd.Prefix() == '?' {
		switch cmd.Final() {
		case 'h', 'l':
			set := cmd.Final() == 'h'
			params.ForEach(0, func(_, mode int, _ bool) {
				switch mode {
				case 7:
					v.autowrap = set
				case 47, 1047, 1049:
					for y := range v.cells {
						v.cells[y] = v.blankRow()
					}
				}
			})
		}
		return
	}
	if cmd.Prefix() != 0 || cmd.Intermediate() != 0 {
		return
	}
	switch cmd.Final() {
	case 'A':
		v.y -= n(0, 1)
		v.clamp()
	case 'B', 'e':
		v.y += n(0, 1)
		v.clamp()
	case 'C', 'a':
		v.x += n(0, 1)
		v.clamp()
	case 'D':
		v.x -= n(0, 1)
		v.clamp()
	case 'E':
		v.x, v.y = 0, v.y+n(0, 1)
		v.clamp()
	case 'F':
		v.x, v.y = 0, v.y-n(0, 1)
		v.clamp()
	case 'G', '`':
		v.x = n(0, 1) - 1
		v.clamp()
	case 'd':
		v.y = n(0, 1) - 1
		v.clamp()
	case 'H', 'f':
		v.y, v.x = n(0, 1)-1, n(1, 1)-1
		v.clamp()
	case 'I':
		for range n(0, 1) {
			v.x = min((v.x/8+1)*8, v.cols-1)
		}
	case 'J':
		switch n(0, 0) {
		case 0:
			v.erase(v.y, v.x, v.cols)
			for y := v.y + 1; y < v.rows; y++ {
				v.cells[y] = v.blankRow()
			}
		case 1:
			v.erase(v.y, 0, v.x+1)
			for y := 0; y < v.y; y++ {
				v.cells[y] = v.blankRow()
			}
		case 2, 3:
			for y := range v.cells {
				v.cells[y] = v.blankRow()
			}
		}
	case 'K':
		switch n(0, 0) {
		case 0:
			v.erase(v.y, v.x, v.cols)
		case 1:
			v.erase(v.y, 0, v.x+1)
		case 2:
			v.erase(v.y, 0, v.cols)
		}
	case 'X':
		v.erase(v.y, v.x, v.x+n(0, 1))
	case 'b':
		if v.last != 0 {
			for range n(0, 1) {
				v.print(v.last)
			}
		}
	case '@':
		row, k := v.cells[v.y], min(n(0, 1), v.cols-v.x)
		copy(row[v.x+k:], row[v.x:v.cols-k])
		v.erase(v.y, v.x, v.x+k)
	case 'P':
		row, k := v.cells[v.y], min(n(0, 1), v.cols-v.x)
		copy(row[v.x:], row[v.x+k:])
		v.erase(v.y, v.cols-k, v.cols)
	case 'L', 'M':
		if v.y < v.top || v.y > v.bot {
			return
		}
		top := v.top
		v.top = v.y
		if cmd.Final() == 'L' {
			v.scrollDown(n(0, 1))
		} else {
			v.scrollUp(n(0, 1))
		}
		v.top = top
		v.x = 0
	case 'S':
		v.scrollUp(n(0, 1))
	case 'T':
		v.scrollDown(n(0, 1))
	case 'r':
		top, bot := n(0, 1)-1, n(1, v.rows)-1
		if top < bot && bot < v.rows {
			v.top, v.bot = top, bot
		} else {
			v.top, v.bot = 0, v.rows-1
		}
		v.x, v.y, v.pending = 0, 0, false
	case 's':
		v.saveX, v.saveY = v.x, v.y
	case 'u':
		v.x, v.y = v.saveX, v.saveY
		v.clamp()
	}
}

func (v *vterm) esc(cmd ansi.Cmd) {
	if cmd.Intermediate() != 0 {
		return
	}
	switch cmd.Final() {
	case '7':
		v.saveX, v.saveY = v.x, v.y
	case '8':
		v.x, v.y = v.saveX, v.saveY
		v.clamp()
	case 'D':
		v.index()
	case 'E':
		v.x = 0
		v.index()
	case 'M':
		v.reverseIndex()
	case 'c':
		for y := range v.cells {
			v.cells[y] = v.blankRow()
		}
		v.x, v.y, v.top, v.bot, v.autowrap = 0, 0, 0, v.rows-1, true
	}
}
