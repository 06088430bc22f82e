package graph_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"storefront/commerce/budget"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent/discountcode"
	"storefront/graph/oplimit"
	"storefront/internal/apitest"
	"storefront/internal/fakeclock"
)

// Tests of the limits of issue 10 through the real HTTP handler: the
// sign-in lock-out (with its default policy) and the per-client budgets
// (with budget.Defaults), on a fake clock so that nothing sleeps.

func newLimitClock() *fakeclock.Clock { return fakeclock.New(time.Now()) }

// limitedAPI is a test server with the default sign-in policy and the
// default budgets, on clk. Its operation limits let one request carry up
// to 1,000 aliased root fields (the defaults refuse more than 30): the
// budgets must count every attempt even where a shop raises those limits.
func limitedAPI(t *testing.T, db *database.DB, clk *fakeclock.Clock) *apitest.API {
	return apitest.New(t, db, func(c *apitest.Config) {
		c.Identity.Now = clk.Now
		c.Budget = budget.Config{Now: clk.Now}
		c.Graph.OperationLimits = manyAliases
	})
}

// manyAliases are operation limits that let a request alias a root field
// a thousand times.
var manyAliases = oplimit.Limits{MaxAliases: 1000, MaxRootFields: 1000, MaxFieldsPerSet: 1000, MaxSelections: 20000}

// limitOutcome is what one aliased field of a response came to.
type limitOutcome struct {
	code       string // a userErrors code, RATE_LIMITED, or "" for success
	retryAfter int    // extensions.retryAfterSeconds of a RATE_LIMITED error
}

// limitResponse is a response decoded for the limits tests.
type limitResponse struct {
	status     int
	retryAfter string // the Retry-After header
	fields     map[string]limitOutcome
	body       string
}

// sendAliased posts a document whose top-level fields are aliased a0, a1,
// ... and whose payloads select `userErrors { code }`; it returns each
// alias's limitOutcome.
func sendAliased(t *testing.T, api *apitest.API, query string, vars apitest.Vars) limitResponse {
	t.Helper()
	w := api.Send(t, map[string]any{"query": query, "variables": vars}, nil)
	var resp struct {
		Data   map[string]*struct{ UserErrors []struct{ Code string } }
		Errors []apitest.Error
	}
	mustJSON(t, w.Body.Bytes(), &resp)
	r := limitResponse{status: w.Code, retryAfter: w.Header().Get("Retry-After"), fields: map[string]limitOutcome{}, body: w.Body.String()}
	for alias, p := range resp.Data {
		if p == nil {
			continue
		}
		o := limitOutcome{}
		if len(p.UserErrors) > 0 {
			o.code = p.UserErrors[0].Code
		}
		r.fields[alias] = o
	}
	for _, e := range resp.Errors {
		if len(e.Path) != 1 {
			t.Fatalf("error without a top-level path: %+v", e)
		}
		alias, _ := e.Path[0].(string)
		secs, _ := e.Extensions["retryAfterSeconds"].(float64)
		r.fields[alias] = limitOutcome{code: e.Code(), retryAfter: int(secs)}
	}
	return r
}

// tally counts outcomes by code, in alias order a0, a1, ...
func (r limitResponse) tally(n int) (codes []string, counts map[string]int) {
	counts = map[string]int{}
	for i := range n {
		o, ok := r.fields[fmt.Sprint("a", i)]
		if !ok {
			codes = append(codes, "missing")
			counts["missing"]++
			continue
		}
		codes = append(codes, o.code)
		counts[o.code]++
	}
	return codes, counts
}

// aliased repeats field (with %d for the alias index) n times in a mutation.
func aliased(n int, field string) string {
	var q strings.Builder
	q.WriteString("mutation {")
	for i := range n {
		fmt.Fprintf(&q, " a%d: ", i)
		fmt.Fprintf(&q, field, i)
	}
	q.WriteString(" }")
	return q.String()
}

const signInField = `customerSignIn(input: {email: "%s", password: "%s"}) { accessToken userErrors { code } }`

func signInOnce(t *testing.T, api *apitest.API, email, password string) (limitOutcome, limitResponse) {
	t.Helper()
	r := sendAliased(t, api, "mutation { a0: "+fmt.Sprintf(signInField, email, password)+" }", nil)
	return r.fields["a0"], r
}

// TestSignInLockoutOverHTTP: an attacker hammering an account from many
// addresses cannot keep its owner out for longer than 30 s; from one
// address, it is limited to 5 guesses and then one a minute.
func TestSignInLockoutOverHTTP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		clk := newLimitClock()
		api := limitedAPI(t, db, clk)
		const email, pw = "victim@example.com", "the victim's password"
		api.From("198.51.100.1").SignUp(t, email, pw)

		// One address: 100 aliased guesses, 5 checked, 95 refused, with the
		// wait in the error and in the Retry-After header.
		one := api.From("203.0.113.1")
		r := sendAliased(t, one, aliased(100, `customerSignIn(input: {email: "`+email+`", password: "guess %d"}) { accessToken userErrors { code } }`), nil)
		codes, counts := r.tally(100)
		if counts["INVALID_CREDENTIALS"] != 5 || counts["RATE_LIMITED"] != 95 || strings.Join(codes[:5], ",") != strings.Repeat("INVALID_CREDENTIALS,", 4)+"INVALID_CREDENTIALS" {
			t.Fatalf("100 guesses from one address: %v", counts)
		}
		if o := r.fields["a5"]; o.retryAfter != 60 {
			t.Fatalf("6th guess: retryAfterSeconds = %d, want 60 (5 failures, then one per minute)", o.retryAfter)
		}
		if r.status != 200 || r.retryAfter != "60" {
			t.Fatalf("status %d, Retry-After %q; want 200 and 60", r.status, r.retryAfter)
		}
		// The right password from that address waits too...
		if o, _ := signInOnce(t, one, email, pw); o.code != "RATE_LIMITED" {
			t.Fatalf("the right password from the limited address: %+v", o)
		}
		// ...but not from another address.
		if o, _ := signInOnce(t, api.From("198.51.100.2"), email, pw); o.code != "" {
			t.Fatalf("the owner from another address: %+v", o)
		}

		// Many addresses: 40 attackers, 5 guesses each at once, and again
		// every 3 seconds for two minutes. The account slows down.
		attack := func(guesses int) (checked int) {
			for i := range 40 {
				r := sendAliased(t, api.From(fmt.Sprintf("10.1.0.%d", i)),
					aliased(guesses, `customerSignIn(input: {email: "`+email+`", password: "bad %d"}) { accessToken userErrors { code } }`), nil)
				_, counts := r.tally(guesses)
				checked += counts["INVALID_CREDENTIALS"]
				if counts["INVALID_CREDENTIALS"]+counts["RATE_LIMITED"] != guesses {
					t.Fatalf("unexpected outcomes: %v", counts)
				}
			}
			return checked
		}
		checked := attack(5)
		if checked > 10+40 {
			t.Fatalf("40 addresses × 5 guesses at once: %d checked; the account should allow 10, then one per address", checked)
		}
		for range 40 {
			clk.Advance(3 * time.Second)
			checked += attack(1)
		}
		t.Logf("attackers: %d guesses checked in two minutes from 40 addresses", checked)

		// The owner, from a new address, mistypes, then retries as told
		// while the attackers always go first: in at most 30 s.
		owner := api.From("192.0.2.77")
		if o, _ := signInOnce(t, owner, email, "a typo"); o.code != "INVALID_CREDENTIALS" {
			t.Fatalf("the owner's first attempt from a new address: %+v (it must be checked at once)", o)
		}
		waited := 0
		for {
			attack(1)
			o, resp := signInOnce(t, owner, email, pw)
			if o.code == "" {
				break
			}
			if o.code != "RATE_LIMITED" || o.retryAfter < 1 || resp.retryAfter != fmt.Sprint(o.retryAfter) {
				t.Fatalf("owner refused with %+v, Retry-After %q", o, resp.retryAfter)
			}
			waited += o.retryAfter
			if waited > 30 {
				t.Fatalf("the owner has waited %d s, more than the 30 s cap", waited)
			}
			clk.Advance(time.Duration(o.retryAfter) * time.Second)
		}
		if waited == 0 {
			t.Fatal("the owner never waited: the account was not slowed down")
		}
		t.Logf("the owner waited %d s", waited)
	})
}

// TestSignInUnknownEmailLikeWrongPassword: the answers, limits and waits
// for an email without an account are those of a wrong password.
func TestSignInUnknownEmailLikeWrongPassword(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		clk := newLimitClock()
		api := limitedAPI(t, db, clk)
		api.From("198.51.100.9").SignUp(t, "known@example.com", "a good password 1")
		run := func(addr, email string) []string {
			var out []string
			for i := range 8 {
				if i == 7 {
					clk.Advance(time.Minute)
				}
				r := sendAliased(t, api.From(addr), aliased(1, `customerSignIn(input: {email: "`+email+`", password: "wrong %d"}) { accessToken userErrors { field message code } }`), nil)
				body := strings.ReplaceAll(r.body, email, "EMAIL")
				out = append(out, fmt.Sprintf("%d %q %s", r.status, r.retryAfter, body))
			}
			return out
		}
		known := run("203.0.113.50", "known@example.com")
		unknown := run("203.0.113.51", "unknown@example.com")
		for i := range known {
			if known[i] != unknown[i] {
				t.Fatalf("attempt %d differs:\n known:   %s\n unknown: %s", i+1, known[i], unknown[i])
			}
		}
		if !strings.Contains(known[0], "INVALID_CREDENTIALS") || !strings.Contains(known[5], "RATE_LIMITED") || !strings.Contains(known[7], "INVALID_CREDENTIALS") {
			t.Fatalf("expected 5 wrong answers, refusals, and a wrong answer a minute later: %v", known)
		}
	})
}

// TestDiscountCodeGuessing: 200 aliased code attempts in one request are
// answered 10 times; the rest are RATE_LIMITED with the wait. The client's
// budget spans its carts, and a signed-in customer's follows them.
func TestDiscountCodeGuessing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		clk := newLimitClock()
		api := limitedAPI(t, db, clk)
		cat := seedCatalogue(t, db.Client)
		db.Client.DiscountCode.Create().SetCode("REAL10").SetKind(discountcode.KindPERCENTAGE).SetValue(1000).SaveX(sysCtx())
		v := cat.variants[cat.active[0].ID][0].GlobalID().String()
		newCart := func(api *apitest.API) string {
			var r struct{ CartCreate cartPayload }
			api.Query(t, `mutation($v: ID!) { cartCreate(input: {lines: [{variantId: $v, quantity: 1}]}) { `+cartFields+` } }`, apitest.Vars{"v": v}, &r)
			return r.CartCreate.Cart.ID
		}
		const tryCode = `cartDiscountCodeUpdate(cartId: $c, code: "GUESS%d") { cart { discountCode } userErrors { code } }`
		batch := func(n int) string {
			return strings.Replace(aliased(n, tryCode), "mutation {", "mutation($c: ID!) {", 1)
		}

		guest := api.From("203.0.113.20")
		c1 := newCart(guest)
		r := sendAliased(t, guest, batch(200), apitest.Vars{"c": c1})
		codes, counts := r.tally(200)
		if counts["BAD_USER_INPUT"] != 10 || counts["RATE_LIMITED"] != 190 || codes[9] != "BAD_USER_INPUT" || codes[10] != "RATE_LIMITED" {
			t.Fatalf("200 guesses on a cart: %v", counts)
		}
		// Attempts 11 to 30 still fit the client's budget and wait for the
		// cart's (30 s); the client's is spent from the 31st on (10 s).
		if a10, a199 := r.fields["a10"], r.fields["a199"]; a10.retryAfter != 30 || a199.retryAfter != 10 || r.retryAfter != "30" || r.status != 200 {
			t.Fatalf("refusals: retryAfterSeconds %d and %d, Retry-After %q, status %d; want 30, 10, 30, 200", a10.retryAfter, a199.retryAfter, r.retryAfter, r.status)
		}
		// Even the real code waits on this cart.
		r = sendAliased(t, guest, `mutation($c: ID!) { a0: cartDiscountCodeUpdate(cartId: $c, code: "REAL10") { cart { discountCode } userErrors { code } } }`, apitest.Vars{"c": c1})
		if o := r.fields["a0"]; o.code != "RATE_LIMITED" {
			t.Fatalf("the real code on a limited cart: %+v", o)
		}
		// 30 s later, one more attempt; removing a code is never limited.
		clk.Advance(30 * time.Second)
		var applied struct{ CartDiscountCodeUpdate cartPayload }
		guest.Query(t, `mutation($c: ID!) { cartDiscountCodeUpdate(cartId: $c, code: "real10") { `+cartFields+` } }`, apitest.Vars{"c": c1}, &applied)
		if applied.CartDiscountCodeUpdate.Cart == nil || applied.CartDiscountCodeUpdate.Cart.DiscountCode != "REAL10" {
			t.Fatalf("the real code 30 s later: %+v", applied.CartDiscountCodeUpdate)
		}
		for range 3 {
			guest.Query(t, `mutation($c: ID!) { cartDiscountCodeUpdate(cartId: $c, code: "") { cart { id } } }`, apitest.Vars{"c": c1}, &applied)
		}

		// The client's budget spans its carts: a new client may try 10
		// codes on each of three carts, and is then refused for 10 s on a
		// fourth.
		other := api.From("203.0.113.21")
		for i := range 3 {
			r := sendAliased(t, other, batch(10), apitest.Vars{"c": newCart(other)})
			if _, counts := r.tally(10); counts["BAD_USER_INPUT"] != 10 {
				t.Fatalf("cart %d of a new client: %v", i+1, counts)
			}
		}
		r = sendAliased(t, other, batch(1), apitest.Vars{"c": newCart(other)})
		if o := r.fields["a0"]; o.code != "RATE_LIMITED" || o.retryAfter != 10 || r.retryAfter != "10" {
			t.Fatalf("31st attempt of a client: %+v, Retry-After %q; want RATE_LIMITED after 10 s", o, r.retryAfter)
		}

		// A signed-in customer's budget is theirs wherever they connect
		// from.
		acc := api.From("198.51.100.30").SignUp(t, "shopper@example.com", "a good password 2")
		home := api.From("198.51.100.30").As(acc.AccessToken)
		for range 3 {
			sendAliased(t, home, batch(10), apitest.Vars{"c": newCart(home)})
		}
		away := api.From("198.51.100.31").As(acc.AccessToken)
		r = sendAliased(t, away, batch(1), apitest.Vars{"c": newCart(away)})
		if o := r.fields["a0"]; o.code != "RATE_LIMITED" {
			t.Fatalf("the customer from another address: %+v, want their spent budget to follow them", o)
		}
		// Another shopper at that address is not affected.
		r = sendAliased(t, api.From("198.51.100.31"), batch(1), apitest.Vars{"c": newCart(api.From("198.51.100.31"))})
		if o := r.fields["a0"]; o.code != "BAD_USER_INPUT" {
			t.Fatalf("a guest at the customer's second address: %+v", o)
		}
	})
}

// TestCartCreationLimit: 30 carts from one client, then one per 2 s.
func TestCartCreationLimit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		clk := newLimitClock()
		api := limitedAPI(t, db, clk)
		guest := api.From("203.0.113.40")
		r := sendAliased(t, guest, aliased(40, `cartCreate { cart { id } userErrors { code } } #%d`+"\n"), nil)
		_, counts := r.tally(40)
		if counts[""] != 30 || counts["RATE_LIMITED"] != 10 {
			t.Fatalf("40 carts at once: %v", counts)
		}
		if o := r.fields["a30"]; o.retryAfter != 2 || r.retryAfter != "2" {
			t.Fatalf("31st cart: %+v, Retry-After %q; want 2 s", o, r.retryAfter)
		}
		if o := sendAliased(t, api.From("203.0.113.41"), aliased(1, `cartCreate { cart { id } userErrors { code } } #%d`+"\n"), nil).fields["a0"]; o.code != "" {
			t.Fatalf("another address: %+v", o)
		}
		clk.Advance(2 * time.Second)
		r = sendAliased(t, guest, aliased(2, `cartCreate { cart { id } userErrors { code } } #%d`+"\n"), nil)
		if codes, _ := r.tally(2); codes[0] != "" || codes[1] != "RATE_LIMITED" {
			t.Fatalf("2 s later: %v, want one cart", codes)
		}
	})
}

// TestCheckoutLimit: 10 checkout attempts from one client, then one per
// 6 s; replaying an order already placed is free, even when limited.
func TestCheckoutLimit(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		clk := newLimitClock()
		api := limitedAPI(t, db, clk)
		cat := seedCatalogue(t, db.Client)
		guest := api.From("203.0.113.60")
		newCart := func(lines string) string {
			var r struct{ CartCreate cartPayload }
			guest.Query(t, `mutation { cartCreate(input: {lines: [`+lines+`]}) { `+cartFields+` } }`, nil, &r)
			return r.CartCreate.Cart.ID
		}
		v := cat.variants[cat.active[0].ID][0].GlobalID().String()
		full := newCart(`{variantId: "` + v + `", quantity: 1}`)
		type checkoutResp struct {
			CheckoutComplete struct {
				Order      *struct{ ID, Number string }
				UserErrors []struct{ Code string }
			}
		}
		var placed checkoutResp
		guest.Query(t, `mutation($in: CheckoutCompleteInput!) { checkoutComplete(input: $in) { order { id number } userErrors { code } } }`,
			apitest.Vars{"in": checkoutInput(full, "limit-key-placed")}, &placed)
		if placed.CheckoutComplete.Order == nil {
			t.Fatalf("checkout: %+v", placed)
		}
		// Nine more attempts (empty carts: refused, but attempts all the
		// same), then the 11th is RATE_LIMITED.
		checkout := func(api *apitest.API, cartID, key string) limitResponse {
			return sendAliased(t, api, `mutation($in: CheckoutCompleteInput!) { a0: checkoutComplete(input: $in) { order { id } userErrors { code } } }`,
				apitest.Vars{"in": checkoutInput(cartID, key)})
		}
		for i := range 9 {
			if o := checkout(guest, newCart(""), fmt.Sprintf("limit-key-%02d", i)).fields["a0"]; o.code != "BAD_USER_INPUT" {
				t.Fatalf("attempt %d: %+v", i+2, o)
			}
		}
		empty := newCart("")
		r := checkout(guest, empty, "limit-key-11")
		if o := r.fields["a0"]; o.code != "RATE_LIMITED" || o.retryAfter != 6 || r.retryAfter != "6" {
			t.Fatalf("11th attempt: %+v, Retry-After %q; want RATE_LIMITED after 6 s", o, r.retryAfter)
		}
		// A retry of the order placed is answered with it, however limited.
		for range 3 {
			var again checkoutResp
			guest.Query(t, `mutation($in: CheckoutCompleteInput!) { checkoutComplete(input: $in) { order { id number } userErrors { code } } }`,
				apitest.Vars{"in": checkoutInput(full, "limit-key-placed")}, &again)
			if again.CheckoutComplete.Order == nil || again.CheckoutComplete.Order.ID != placed.CheckoutComplete.Order.ID {
				t.Fatalf("replay while limited: %+v", again)
			}
		}
		// Other clients are not affected; this one may try again 6 s later.
		if o := checkout(api.From("203.0.113.61"), empty, "limit-key-other").fields["a0"]; o.code != "BAD_USER_INPUT" {
			t.Fatalf("another address: %+v", o)
		}
		clk.Advance(6 * time.Second)
		if o := checkout(guest, empty, "limit-key-11").fields["a0"]; o.code != "BAD_USER_INPUT" {
			t.Fatalf("6 s later: %+v", o)
		}
	})
}
