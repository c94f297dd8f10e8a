package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"lingqian/app"
)

// chart draws the sales not voided by hour as bars: the amount on the
// vertical axis in yuan, the hours 00 to 23 along the bottom, each bar
// with its count of sales on top.
func (d *doc) chart() {
	const (
		axisW  = 20.0 // the amounts on the left
		height = 40.0
		steps  = 4
	)
	lines := hours(d.r, d.lang)
	d.need(9+6+height+10, nil)
	d.section(app.MsgReportByHour.Text(d.lang))

	x0, w := margin+axisW, contentW-axisW
	slot := w / float64(len(lines))
	top := d.y + 5
	base := top + height
	d.p.font(8, false)
	d.color(grey)
	d.p.right(x0-2, top-2, app.MsgReportCNY.Text(d.lang))

	most := 0.0
	for _, l := range lines {
		most = math.Max(most, yuan(l.t.Amount))
	}
	d.drawColor(rule)
	d.f.SetLineWidth(0.2)
	if most <= 0 {
		d.f.Rect(x0, top, w, height, "D")
		d.p.font(10, false)
		msg := app.MsgReportNoSales.Text(d.lang)
		d.p.text(x0+(w-d.p.width(msg))/2, top+height/2+1.5, msg)
	} else {
		step := niceStep(most / steps)
		for i := 0; i <= steps; i++ {
			y := base - height*float64(i)/steps
			d.drawColor(rule)
			d.f.Line(x0, y, x0+w, y)
			d.p.font(7.5, false)
			d.color(grey)
			d.p.right(x0-2, y+1.2, axisLabel(step*float64(i), step))
		}
		d.fillColor(barFill)
		for i, l := range lines {
			v := yuan(l.t.Amount)
			if v <= 0 {
				continue
			}
			h := height * math.Min(v/(step*steps), 1)
			x := x0 + slot*float64(i) + slot*0.15
			d.f.Rect(x, base-h, slot*0.7, h, "F")
			if l.t.Count > 0 {
				n := strconv.Itoa(l.t.Count)
				d.p.font(6.5, false)
				d.color(ink)
				d.p.text(x+slot*0.35-d.p.width(n)/2, base-h-1, n)
			}
		}
	}
	d.drawColor(ink)
	d.f.SetLineWidth(0.3)
	d.f.Line(x0, base, x0+w, base)
	d.p.font(7, false)
	d.color(grey)
	for i, l := range lines {
		d.p.text(x0+slot*float64(i)+slot/2-d.p.width(l.key)/2, base+4, l.key)
	}
	d.y = base + 10
}

// yuan is an amount in yuan for the chart; what is below zero is drawn as zero.
func yuan(m app.Money) float64 { return math.Max(float64(m)/100, 0) }

// niceStep is the smallest of 1, 2, 2.5 or 5 times a power of ten at
// least v: the axis's step.
func niceStep(v float64) float64 {
	if v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

// axisLabel writes an amount of the axis: whole yuan with thousands
// separated when the step is whole, else with the decimals it needs.
func axisLabel(v, step float64) string {
	if step >= 1 && step == math.Trunc(step) {
		s := strconv.FormatFloat(v, 'f', 0, 64)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		return b.String()
	}
	return fmt.Sprintf("%.2f", v)
}
