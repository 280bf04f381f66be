package site

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestContrast reads the page's colours (light, and dark under
// prefers-color-scheme) and checks them against WCAG 2.1 AA: 4.5:1 for
// text on the background, 3:1 for the bars and marks of the graphics.
func TestContrast(t *testing.T) {
	dark := strings.Index(pageTemplate, "@media (prefers-color-scheme: dark)")
	if dark < 0 {
		t.Fatal("the page has no dark colours")
	}
	for _, scheme := range []struct{ name, css string }{{"light", pageTemplate[:dark]}, {"dark", pageTemplate[dark:]}} {
		vars := map[string]string{}
		for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-f]{6})`).FindAllStringSubmatch(scheme.css, -1) {
			if _, seen := vars[m[1]]; !seen {
				vars[m[1]] = m[2]
			}
		}
		check := func(fg, bg string, want float64) {
			if vars[fg] == "" || vars[bg] == "" {
				t.Fatalf("%s: colour --%s or --%s is not defined", scheme.name, fg, bg)
			}
			if r := ratio(vars[fg], vars[bg]); r < want {
				t.Errorf("%s: --%s %s on --%s %s is %.2f:1, want at least %.1f:1", scheme.name, fg, vars[fg], bg, vars[bg], r, want)
			}
		}
		for _, fg := range []string{"fg", "muted", "up", "down", "stale", "unknown", "link"} {
			check(fg, "bg", 4.5)
			check(fg, "head", 4.5)
		}
		check("warn-fg", "warn-bg", 4.5)
		for _, bar := range []string{"bar-ok", "bar-some", "bar-bad", "bar-gap", "focus", "down"} {
			check(bar, "bg", 3)
		}
	}
}

func ratio(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	return (math.Max(la, lb) + 0.05) / (math.Min(la, lb) + 0.05)
}

// luminance is the WCAG relative luminance of #rrggbb.
func luminance(hex string) float64 {
	var c [3]float64
	for i := range c {
		v, _ := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		s := float64(v) / 255
		if s <= 0.04045 {
			c[i] = s / 12.92
		} else {
			c[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
}
