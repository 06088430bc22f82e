// Package country knows the ISO 3166-1 alpha-2 country codes: the 249
// officially assigned ones (user-assigned codes such as ZZ or XK, and
// reserved ones such as UK or EU, are not countries here).
package country

import "strings"

// codes are the officially assigned ISO 3166-1 alpha-2 codes.
var codes = func() map[string]bool {
	const list = `
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ
BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ
CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ
DE DJ DK DM DO DZ
EC EE EG EH ER ES ET
FI FJ FK FM FO FR
GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY
HK HM HN HR HT HU
ID IE IL IM IN IO IQ IR IS IT
JE JM JO JP
KE KG KH KI KM KN KP KR KW KY KZ
LA LB LC LI LK LR LS LT LU LV LY
MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ
NA NC NE NF NG NI NL NO NP NR NU NZ
OM
PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA
RE RO RS RU RW
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ
TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG UM US UY UZ
VA VC VE VG VI VN VU
WF WS
YE YT
ZA ZM ZW`
	m := map[string]bool{}
	for _, c := range strings.Fields(list) {
		m[c] = true
	}
	return m
}()

// Valid reports whether code is an officially assigned ISO 3166-1 alpha-2
// code, written in upper case ("PL"; "pl" is not valid: see Normalize).
func Valid(code string) bool { return codes[code] }

// Normalize trims code and upper-cases it, so that " pl" becomes "PL". It
// does not check the code (see Valid).
func Normalize(code string) string { return strings.ToUpper(strings.TrimSpace(code)) }

// Count is the number of assigned codes.
func Count() int { return len(codes) }
