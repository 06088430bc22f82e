package money

import "strings"

// currencies are the active ISO 4217 (List One) codes of currencies in
// circulation, after the amendments up to 2025: HRK (2023), SLL and ZWL
// (2024) and ANG (2025, replaced by XCG) are gone. Not currencies a shop
// prices in, and so left out: the fund codes (BOV, CHE, CHW, CLF, COU, MXV,
// USN, UYI, UYW), precious metals (XAU, XAG, XPD, XPT), the SDR and other
// supranational units (XDR, XSU, XUA, XBA-XBD), XTS (testing) and XXX (no
// currency).
var currencies = func() map[string]bool {
	const list = `
AED AFN ALL AMD AOA ARS AUD AWG AZN
BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CLP CNY COP CRC CUP CVE CZK
DJF DKK DOP DZD
EGP ERN ETB EUR
FJD FKP
GBP GEL GHS GIP GMD GNF GTQ GYD
HKD HNL HTG HUF
IDR ILS INR IQD IRR ISK
JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT
LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD
OMR
PAB PEN PGK PHP PKR PLN PYG
QAR
RON RSD RUB RWF
SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL
THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS
VED VES VND VUV
WST
XAF XCD XCG XOF XPF
YER
ZAR ZMW ZWG`
	m := map[string]bool{}
	for _, c := range strings.Fields(list) {
		m[c] = true
	}
	return m
}()

// DefaultCurrency is the shop's currency when the configuration names none
// (SHOP_CURRENCY).
const DefaultCurrency = "USD"

// ValidCurrency reports whether code is an active ISO 4217 code of a
// currency in circulation, in upper case ("EUR"; "eur" is not).
func ValidCurrency(code string) bool { return currencies[code] }
