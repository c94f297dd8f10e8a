package ui

import (
	"context"
	"fmt"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"lingqian/app"
)

// banner is on every screen: the bank online or not, what is pending, what
// the offline limits still allow, and Forward now with its progress.
type banner struct {
	d       *Desk
	content fyne.CanvasObject
	bank    *widget.Label
	pending *widget.Label
	limits  *widget.Label
	forward *widget.Button
	bar     *widget.ProgressBarInfinite
	// stopped says why forwarding stopped and what to do, on two lines
	// of their own shown only then (too long for the bank's corner), in
	// one widget so they take one padding, and every screen still fits
	// a shop's 600 pixels.
	stopped *widget.RichText
	state   app.Banner
}

func newBanner(d *Desk) *banner {
	b := &banner{d: d}
	b.bank = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	b.pending = widget.NewLabel("")
	b.pending.Truncation = fyne.TextTruncateEllipsis
	b.limits = widget.NewLabel("")
	b.limits.Truncation = fyne.TextTruncateEllipsis
	b.forward = widget.NewButtonWithIcon(d.t(app.MsgForwardNow), theme.UploadIcon(), func() { d.touch(); b.forwardNow() })
	b.bar = widget.NewProgressBarInfinite()
	b.bar.Stop()
	b.bar.Hide()
	line := container.NewBorder(nil, nil, container.NewHBox(b.bank, widget.NewSeparator()), nil,
		container.NewGridWithColumns(2, b.pending, b.limits))
	b.stopped = widget.NewRichText()
	b.stopped.Truncation = fyne.TextTruncateEllipsis
	b.stopped.Hide()
	b.content = container.NewVBox(container.NewBorder(nil, nil, nil, container.NewHBox(b.bar, b.forward), line),
		b.stopped, widget.NewSeparator())
	return b
}

// refresh reads the state off the Fyne goroutine and shows it.
func (b *banner) refresh() {
	background(func() (app.Banner, error) {
		if b.d.svc.Forwarding == nil {
			return app.Banner{}, nil
		}
		return b.d.svc.Forwarding.Banner(context.Background())
	}, func(s app.Banner, err error) {
		if err != nil {
			b.d.svc.Log("banner: %v", err)
			return
		}
		b.show(s)
	})
}

func (b *banner) show(s app.Banner) {
	d := b.d
	b.state = s
	switch {
	case !s.Enrolled:
		b.bank.SetText("○ " + d.t(app.MsgBankNone))
		b.forward.Disable()
	case s.Online:
		b.bank.SetText("● " + d.t(app.MsgBankOnline))
		b.forward.Enable()
	default:
		b.bank.SetText("○ " + d.t(app.MsgBankOffline))
		b.forward.Enable()
	}
	switch s.Pending.Count {
	case 0:
		b.pending.SetText(d.t(app.MsgNothingPending))
	case 1:
		b.pending.SetText(d.tf(app.MsgPendingOne, app.FormatMoney(s.Pending.Amount), age(s.Oldest, d.lang)))
	default:
		b.pending.SetText(d.tf(app.MsgPending, s.Pending.Count, app.FormatMoney(s.Pending.Amount), age(s.Oldest, d.lang)))
	}
	b.limits.SetText(d.tf(app.MsgLimitsLeft, app.FormatMoney(s.LeftAmount), s.LeftCount, age(s.LeftAge, d.lang)))
	if why, todo := s.StoppedText(d.lang); why != "" {
		b.stopped.Segments = []widget.RichTextSegment{
			&widget.TextSegment{Text: "⚠ " + why, Style: widget.RichTextStyle{ColorName: theme.ColorNameError,
				TextStyle: fyne.TextStyle{Bold: true}}},
			&widget.TextSegment{Text: todo, Style: widget.RichTextStyleParagraph},
		}
		b.stopped.Refresh()
		b.stopped.Show()
	} else {
		b.stopped.Hide()
	}
	if s.Busy {
		b.bar.Show()
		b.bar.Start()
		b.forward.SetText(d.tf(app.MsgForwarding, s.Sent, s.Posted))
	} else {
		b.bar.Stop()
		b.bar.Hide()
		b.forward.SetText(d.t(app.MsgForwardNow))
	}
}

func (b *banner) forwardNow() {
	if b.d.svc.Forwarding == nil || !b.d.svc.Forwarding.ForwardNow() {
		return
	}
	b.refresh()
}

// Text is the banner as a person reads it.
func (b *banner) Text() string {
	t := b.bank.Text + " | " + b.pending.Text + " | " + b.limits.Text + " | " + b.forward.Text
	if b.stopped.Visible() {
		t += " | " + b.stopped.String()
	}
	return t
}

// age says a duration the way a shop owner would: 3 min, 5 h 10 min, 6 d 23 h.
func age(d time.Duration, lang string) string {
	zh := lang == app.SimplifiedChinese
	unit := func(n time.Duration, en, cn string) string {
		if zh {
			return fmt.Sprintf("%d %s", n, cn)
		}
		return fmt.Sprintf("%d %s", n, en)
	}
	days, hours, mins := d/(24*time.Hour), d%(24*time.Hour)/time.Hour, d%time.Hour/time.Minute
	switch {
	case days > 0 && hours > 0:
		return unit(days, "d", "天") + " " + unit(hours, "h", "小时")
	case days > 0:
		return unit(days, "d", "天")
	case hours > 0 && mins > 0:
		return unit(hours, "h", "小时") + " " + unit(mins, "min", "分钟")
	case hours > 0:
		return unit(hours, "h", "小时")
	case mins > 0:
		return unit(mins, "min", "分钟")
	}
	if zh {
		return "不到 1 分钟"
	}
	return "< 1 min"
}
