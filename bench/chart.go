package bench

import (
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// layerColor colours bars by layer, the same in every panel.
var layerColor = map[string]string{Native: "#6b7280", L3: "#2563eb", L4: "#059669", L2: "#d97706", L1: "#dc2626"}

// Chart writes an SVG chart of the results: start-up time per driver (left) and the
// overhead of each workload against native (right), both on log scales since the
// layers span five orders of magnitude.
func Chart(w io.Writer, r *Results) error {
	type row struct {
		name, layer string
		start       float64
		ratios      map[string]float64
	}
	var rows []row
	ratioWorkloads := []string{CPU, Syscall, FileIO, Memory}
	for _, d := range r.Drivers {
		if !d.Available {
			continue
		}
		x := row{name: d.Name, layer: d.Layer, ratios: map[string]float64{}}
		if s, ok := d.Result(Start); ok && s.Measured() {
			x.start = s.Summary.Median
		}
		for _, wl := range ratioWorkloads {
			if s, ok := d.Result(wl); ok && s.VsNative != nil {
				x.ratios[wl] = s.VsNative.Value
			}
		}
		rows = append(rows, x)
	}
	const (
		labelW, panelW, gap = 150, 380, 60
		rowH, top, bottom   = 34, 70, 60
	)
	width := labelW + 2*panelW + gap + 40
	height := top + len(rows)*rowH + bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="10" y="20" font-size="15" font-weight="bold">strata bench — %s, %s, %d cores, kernel %s</text>`+"\n",
		esc(r.Host.Hostname), esc(r.Host.CPU), r.Host.Cores, esc(r.Host.Kernel))

	// Panel 1: start-up, log scale over the decades the data spans.
	x0 := float64(labelW)
	lo, hi := decades(func(yield func(float64)) {
		for _, x := range rows {
			if x.start > 0 {
				yield(x.start)
			}
		}
	})
	scale1 := func(v float64) float64 { return x0 + (math.Log10(v)-lo)/(hi-lo)*panelW }
	fmt.Fprintf(&b, `<text x="%.0f" y="45" font-weight="bold">start-to-exit, median (ms, log scale)</text>`+"\n", x0)
	axis(&b, lo, hi, scale1, top, top+len(rows)*rowH, func(e float64) string { return fmtPow(e) })
	for i, x := range rows {
		y := float64(top + i*rowH)
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" text-anchor="end">%s <tspan fill="%s">%s</tspan></text>`+"\n", labelW-8, y+rowH/2+4, esc(x.name), layerColor[x.layer], esc(x.layer))
		if x.start > 0 {
			wbar := max(scale1(x.start)-x0, 1)
			fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.1f" height="%d" fill="%s"><title>%s: %s</title></rect>`+"\n", x0, y+6, wbar, rowH-12, layerColor[x.layer], esc(x.name), num(x.start, "ms"))
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" font-size="10">%s</text>`+"\n", x0+wbar+3, y+rowH/2+4, num(x.start, "ms"))
		}
	}

	// Panel 2: overhead vs native per workload, log scale around 1×.
	x1 := float64(labelW + panelW + gap)
	lo2, hi2 := decades(func(yield func(float64)) {
		yield(1)
		for _, x := range rows {
			for _, v := range x.ratios {
				if v > 0 {
					yield(v)
				}
			}
		}
	})
	scale2 := func(v float64) float64 { return x1 + (math.Log10(v)-lo2)/(hi2-lo2)*panelW }
	fmt.Fprintf(&b, `<text x="%.0f" y="45" font-weight="bold">overhead vs native (×, log scale)</text>`+"\n", x1)
	axis(&b, lo2, hi2, scale2, top, top+len(rows)*rowH, func(e float64) string { return fmtPow(e) + "×" })
	marks := map[string]string{CPU: "circle", Syscall: "square", FileIO: "diamond", Memory: "triangle"}
	for i, x := range rows {
		y := float64(top+i*rowH) + rowH/2
		fmt.Fprintf(&b, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="#eee"/>`+"\n", x1, x1+panelW, y, y)
		for _, wl := range ratioWorkloads {
			if v, ok := x.ratios[wl]; ok && v > 0 {
				mark(&b, marks[wl], scale2(v), y, layerColor[x.layer], fmt.Sprintf("%s %s: %.3g× native", x.name, wl, v))
			}
		}
	}
	ly := float64(height - 25)
	lx := x1
	for _, wl := range ratioWorkloads {
		mark(&b, marks[wl], lx, ly-4, "#333", wl)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f">%s</text>`+"\n", lx+9, ly, wl)
		lx += 80
	}
	fmt.Fprintf(&b, `<text x="10" y="%.0f" fill="#666">%s · %d runs · colours: layer</text>`+"\n", ly, esc(r.Started.Format("2006-01-02 15:04 MST")), r.Runs)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// decades returns the whole powers of ten that bracket the values (at least one decade).
func decades(values func(func(float64))) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	values(func(v float64) {
		lo, hi = math.Min(lo, math.Log10(v)), math.Max(hi, math.Log10(v))
	})
	if math.IsInf(lo, 1) {
		return 0, 1
	}
	lo, hi = math.Floor(lo), math.Ceil(hi)
	if hi <= lo {
		hi = lo + 1
	}
	return lo, hi
}

func axis(b *strings.Builder, lo, hi float64, scale func(float64) float64, y0, y1 int, label func(float64) string) {
	for e := lo; e <= hi; e++ {
		x := scale(math.Pow(10, e))
		fmt.Fprintf(b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#ccc"/>`+"\n", x, x, y0, y1)
		fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle" font-size="10" fill="#555">%s</text>`+"\n", x, y1+14, label(e))
	}
}

func fmtPow(e float64) string {
	v := math.Pow(10, e)
	if e >= 0 {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.*f", int(-e), v), "0"), ".")
}

func mark(b *strings.Builder, shape string, x, y float64, color, title string) {
	t := "<title>" + esc(title) + "</title>"
	switch shape {
	case "circle":
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="5" fill="%s">%s</circle>`+"\n", x, y, color, t)
	case "square":
		fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="9" height="9" fill="none" stroke="%s" stroke-width="2">%s</rect>`+"\n", x-4.5, y-4.5, color, t)
	case "diamond":
		fmt.Fprintf(b, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" opacity="0.7">%s</polygon>`+"\n", x, y-6, x+6, y, x, y+6, x-6, y, color, t)
	default:
		fmt.Fprintf(b, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="none" stroke="%s" stroke-width="2">%s</polygon>`+"\n", x, y-6, x+6, y+5, x-6, y+5, color, t)
	}
}

func esc(s string) string { return html.EscapeString(s) }
