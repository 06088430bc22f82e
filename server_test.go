package main

import (
	"strings"
	"testing"
)

// TestConfigCurrency: SHOP_CURRENCY (or -currency) must be an active ISO 4217 code in
// upper case.
func TestConfigCurrency(t *testing.T) {
	for cur, ok := range map[string]bool{
		"USD": true, "EUR": true, "PLN": true, "JPY": true, "KWD": true,
		"ABC": false, "ZZZ": false, "XXX": false, "XTS": false, "HRK": false, "DEM": false,
		"usd": false, "US": false, "USDD": false, "": false,
	} {
		cfg, err := loadConfig([]string{"-currency=" + cur})
		if ok && (err != nil || cfg.currency != cur) {
			t.Errorf("SHOP_CURRENCY=%q: %v", cur, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "ISO 4217")) {
			t.Errorf("SHOP_CURRENCY=%q: accepted (err %v)", cur, err)
		}
	}
	t.Setenv("SHOP_CURRENCY", "ZZZ")
	if _, err := loadConfig(nil); err == nil {
		t.Error("SHOP_CURRENCY=ZZZ accepted")
	}
	t.Setenv("SHOP_CURRENCY", "")
	if cfg, err := loadConfig(nil); err != nil || cfg.currency != "USD" {
		t.Errorf("empty SHOP_CURRENCY: %q, %v; want the default USD", cfg.currency, err)
	}
}
