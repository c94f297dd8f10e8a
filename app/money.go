package app

import (
	"fmt"
	"strings"
)

// ParseMoney reads an amount a person typed, like "12.50" or "12", in
// yuan with at most two decimals, into fen. It refuses anything else
// rather than guessing.
func ParseMoney(s string) (Money, error) {
	s = strings.TrimSpace(s)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > 9 || (hasDot && (len(frac) == 0 || len(frac) > 2)) {
		return 0, fmt.Errorf("amount %q: write it like 12.50", s)
	}
	var v int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("amount %q: write it like 12.50", s)
		}
		v = v*10 + int64(c-'0')
	}
	for i := len(frac); i < 2; i++ {
		v *= 10
	}
	if v <= 0 {
		return 0, fmt.Errorf("amount %q must be more than zero", s)
	}
	return Money(v), nil
}

// FormatMoney writes fen as yuan with two decimals: 1250 → "12.50".
func FormatMoney(m Money) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}
