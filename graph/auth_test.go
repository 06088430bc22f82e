package graph_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"storefront/auth/authtoken"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/internal/apitest"
)

const viewerQuery = `{ viewer { id email name } }`

type viewerResp struct {
	Viewer *struct{ ID, Email, Name string }
}

// viewerOf returns the viewer's email, "" when anonymous, or the error code.
func viewerOf(t *testing.T, api *apitest.API) string {
	t.Helper()
	status, body := api.Post(t, map[string]any{"query": viewerQuery}, nil)
	if strings.Contains(string(body), `"errors"`) {
		errs, _ := api.Errors(t, viewerQuery, nil)
		return "error:" + errs[0].Code()
	}
	var r struct{ Data viewerResp }
	mustJSON(t, body, &r)
	if status != 200 {
		t.Fatalf("status %d", status)
	}
	if r.Data.Viewer == nil {
		return ""
	}
	return r.Data.Viewer.Email
}

func TestSignUpAndSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		if got := viewerOf(t, api); got != "" {
			t.Fatalf("anonymous viewer = %q", got)
		}
		acc := api.SignUp(t, "  Alice@Example.COM ", "correct horse battery")
		if got := viewerOf(t, api.As(acc.AccessToken)); got != "alice@example.com" {
			t.Fatalf("viewer = %q, want the normalised email", got)
		}

		const create = `mutation($e: String!, $p: String!) { customerCreate(input: {email: $e, password: $p}) { customer { id } userErrors { field message code } } }`
		for _, tc := range []struct {
			email, password, code, field string
		}{
			{"ALICE@example.com", "another good password", "TAKEN", "email"},
			{"not-an-email", "another good password", "BAD_USER_INPUT", "email"},
			{"bob@example.com", "short", "BAD_USER_INPUT", "password"},
			{"bob@example.com", "password", "BAD_USER_INPUT", "password"},
			{"bob@example.com", "bob@example.com", "BAD_USER_INPUT", "password"},
		} {
			var r struct {
				CustomerCreate struct {
					Customer   *struct{ ID string }
					UserErrors []struct {
						Field         []string
						Message, Code string
					}
				}
			}
			api.Query(t, create, apitest.Vars{"e": tc.email, "p": tc.password}, &r)
			ue := r.CustomerCreate.UserErrors
			if r.CustomerCreate.Customer != nil || len(ue) != 1 || ue[0].Code != tc.code || ue[0].Field[len(ue[0].Field)-1] != tc.field {
				t.Fatalf("customerCreate(%q, %q) = %+v", tc.email, tc.password, r.CustomerCreate)
			}
		}

		// A wrong password and an unknown email get the very same answer.
		signIn := func(email, password string) string {
			_, body := api.Post(t, map[string]any{
				"query":     `mutation($e: String!, $p: String!) { customerSignIn(input: {email: $e, password: $p}) { accessToken userErrors { field message code } } }`,
				"variables": map[string]any{"e": email, "p": password},
			}, nil)
			return string(body)
		}
		wrong, unknown := signIn("alice@example.com", "wrong password!"), signIn("nobody@example.com", "wrong password!")
		if wrong != unknown || !strings.Contains(wrong, "INVALID_CREDENTIALS") {
			t.Fatalf("answers differ or are unclear:\n wrong password: %s\n unknown email:  %s", wrong, unknown)
		}
	})
}

func TestRefreshRotationAndSignOut(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		acc := api.SignUp(t, "carol@example.com", "a long enough password")
		const refresh = `mutation($r: String!) { customerRefreshToken(refreshToken: $r) { accessToken refreshToken userErrors { code } } }`
		type tokens struct {
			CustomerRefreshToken struct{ AccessToken, RefreshToken string }
		}

		var r1 tokens
		api.Query(t, refresh, apitest.Vars{"r": acc.RefreshToken}, &r1)
		if r1.CustomerRefreshToken.RefreshToken == "" || r1.CustomerRefreshToken.RefreshToken == acc.RefreshToken {
			t.Fatalf("refresh did not rotate: %+v", r1)
		}
		if got := viewerOf(t, api.As(r1.CustomerRefreshToken.AccessToken)); got != "carol@example.com" {
			t.Fatalf("new access token: viewer = %q", got)
		}
		// The spent token is refused, and presenting it revokes the session:
		// the newest refresh token and the access tokens die with it.
		api.ExpectCode(t, "UNAUTHENTICATED", refresh, apitest.Vars{"r": acc.RefreshToken})
		api.ExpectCode(t, "UNAUTHENTICATED", refresh, apitest.Vars{"r": r1.CustomerRefreshToken.RefreshToken})
		if got := viewerOf(t, api.As(r1.CustomerRefreshToken.AccessToken)); got != "error:UNAUTHENTICATED" {
			t.Fatalf("access token of a revoked session: viewer = %q", got)
		}
		api.ExpectCode(t, "UNAUTHENTICATED", refresh, apitest.Vars{"r": "not-a-token"})

		// Sign out ends the session at once; other sessions live on.
		s1 := api.SignIn(t, "carol@example.com", "a long enough password")
		s2 := api.SignIn(t, "carol@example.com", "a long enough password")
		var out struct{ CustomerSignOut struct{ SignedOut bool } }
		api.As(s1.AccessToken).Query(t, `mutation { customerSignOut { signedOut } }`, nil, &out)
		if !out.CustomerSignOut.SignedOut {
			t.Fatal("sign-out said false")
		}
		if got := viewerOf(t, api.As(s1.AccessToken)); got != "error:UNAUTHENTICATED" {
			t.Fatalf("after sign-out: viewer = %q", got)
		}
		api.ExpectCode(t, "UNAUTHENTICATED", refresh, apitest.Vars{"r": s1.RefreshToken})
		if got := viewerOf(t, api.As(s2.AccessToken)); got != "carol@example.com" {
			t.Fatalf("other session after sign-out: viewer = %q", got)
		}
		// Signing out by refresh token, without an access token.
		api.Query(t, `mutation($r: String) { customerSignOut(refreshToken: $r) { signedOut } }`, apitest.Vars{"r": s2.RefreshToken}, &out)
		if got := viewerOf(t, api.As(s2.AccessToken)); got != "error:UNAUTHENTICATED" {
			t.Fatalf("after sign-out by refresh token: viewer = %q", got)
		}
		api.ExpectCode(t, "UNAUTHENTICATED", `mutation { customerSignOut { signedOut } }`, nil)
	})
}

func TestBadTokens(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		acc := api.SignUp(t, "dave@example.com", "a long enough password")
		keys, err := authtoken.ParseKeyring(apitest.TestKeys)
		if err != nil {
			t.Fatal(err)
		}
		id, sid := claimsOf(t, acc.AccessToken)
		expired, err := keys.Sign(authtoken.Claims{CustomerID: id, SessionID: sid, Role: "CUSTOMER",
			IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(-time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		otherKeys, _ := authtoken.ParseKeyring("test:another-secret-of-at-least-32-bytes!")
		forged, _ := otherKeys.Sign(authtoken.Claims{CustomerID: id, SessionID: sid, Role: "STAFF",
			IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)})
		parts := strings.Split(acc.AccessToken, ".")
		none := b64(`{"alg":"none","typ":"JWT"}`) + "." + parts[1] + "."
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		escalated := parts[0] + "." + b64(strings.Replace(string(payload), `"CUSTOMER"`, `"STAFF"`, 1)) + "." + parts[2]
		tampered := parts[0] + "." + parts[1] + "." + flip(parts[2])

		for name, tok := range map[string]string{
			"expired": expired, "signed with another secret": forged, "alg none": none,
			"payload edited": escalated, "signature edited": tampered, "garbage": "abc.def.ghi",
		} {
			t.Run(name, func(t *testing.T) {
				if got := viewerOf(t, api.As(tok)); got != "error:UNAUTHENTICATED" {
					t.Fatalf("viewer = %q", got)
				}
				// Public data still loads with a refused token.
				var p struct{ Products struct{ TotalCount int } }
				api.As(tok).Query(t, `{ products(first: 1) { totalCount } }`, nil, &p)
			})
		}
		e := api.As(expired).ExpectCode(t, "UNAUTHENTICATED", viewerQuery, nil)
		if !strings.Contains(e.Message, "expired") {
			t.Fatalf("expired token message = %q", e.Message)
		}
		// A header that is not a bearer token.
		status, body := api.Post(t, map[string]any{"query": viewerQuery}, map[string][]string{"Authorization": {"Basic Zm9vOmJhcg=="}})
		if status != 200 || !strings.Contains(string(body), "UNAUTHENTICATED") {
			t.Fatalf("Basic auth: %d %s", status, body)
		}
	})
}

func TestPasswordChangeAndAddresses(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		a := api.SignUp(t, "erin@example.com", "first password 1")
		other := api.SignIn(t, "erin@example.com", "first password 1")
		b := api.SignUp(t, "frank@example.com", "franks password 1")

		const change = `mutation($c: String!, $n: String!) { customerPasswordChange(input: {currentPassword: $c, newPassword: $n}) { customer { email } userErrors { field code } } }`
		var bad struct {
			CustomerPasswordChange struct{ UserErrors []struct{ Code string } }
		}
		api.As(a.AccessToken).Query(t, change, apitest.Vars{"c": "wrong password", "n": "second password 2"}, &bad)
		if len(bad.CustomerPasswordChange.UserErrors) != 1 || bad.CustomerPasswordChange.UserErrors[0].Code != "INVALID_CREDENTIALS" {
			t.Fatalf("wrong current password: %+v", bad)
		}
		var ok struct {
			CustomerPasswordChange struct {
				Customer   *struct{ Email string }
				UserErrors []struct{ Code string }
			}
		}
		api.As(a.AccessToken).Query(t, change, apitest.Vars{"c": "first password 1", "n": "second password 2"}, &ok)
		if ok.CustomerPasswordChange.Customer == nil || len(ok.CustomerPasswordChange.UserErrors) != 0 {
			t.Fatalf("password change: %+v", ok)
		}
		if got := viewerOf(t, api.As(other.AccessToken)); got != "error:UNAUTHENTICATED" {
			t.Fatalf("other session after a password change: %q", got)
		}
		if got := viewerOf(t, api.As(a.AccessToken)); got != "erin@example.com" {
			t.Fatalf("current session after a password change: %q", got)
		}
		api.SignIn(t, "erin@example.com", "second password 2")

		// Address book.
		const add = `mutation($a: MailingAddressInput!) { customerAddressCreate(address: $a) { address { id city countryCode } customer { defaultAddress { id } addresses { id } } userErrors { field code } } }`
		type addResp struct {
			CustomerAddressCreate struct {
				Address  *struct{ ID, City, CountryCode string }
				Customer *struct {
					DefaultAddress *struct{ ID string }
					Addresses      []struct{ ID string }
				}
				UserErrors []struct {
					Field []string
					Code  string
				}
			}
		}
		var first addResp
		api.As(a.AccessToken).Query(t, add, apitest.Vars{"a": map[string]any{"address1": "1 Main St", "city": "Springfield", "countryCode": "us"}}, &first)
		addr := first.CustomerAddressCreate.Address
		if addr == nil || addr.CountryCode != "US" || first.CustomerAddressCreate.Customer.DefaultAddress.ID != addr.ID {
			t.Fatalf("first address: %+v", first.CustomerAddressCreate)
		}
		var invalid addResp
		api.As(a.AccessToken).Query(t, add, apitest.Vars{"a": map[string]any{"address1": "x", "city": "", "countryCode": "USA"}}, &invalid)
		if ue := invalid.CustomerAddressCreate.UserErrors; len(ue) != 1 || ue[0].Code != "BAD_USER_INPUT" {
			t.Fatalf("invalid address: %+v", invalid.CustomerAddressCreate)
		}
		api.ExpectCode(t, "UNAUTHENTICATED", add, apitest.Vars{"a": map[string]any{"address1": "1 Main St", "city": "X", "countryCode": "US"}})

		// Another customer can neither change nor see it.
		const update = `mutation($id: ID!) { customerAddressUpdate(id: $id, address: {address1: "2 Evil Rd", city: "X", countryCode: "US"}) { address { id } userErrors { code } } }`
		var stolen struct {
			CustomerAddressUpdate struct {
				Address    *struct{ ID string }
				UserErrors []struct{ Code string }
			}
		}
		api.As(b.AccessToken).Query(t, update, apitest.Vars{"id": addr.ID}, &stolen)
		if stolen.CustomerAddressUpdate.Address != nil || stolen.CustomerAddressUpdate.UserErrors[0].Code != "NOT_FOUND" {
			t.Fatalf("B updated A's address: %+v", stolen)
		}
		var node struct{ Node map[string]any }
		api.As(b.AccessToken).Query(t, nodeQuery, apitest.Vars{"id": addr.ID}, &node)
		if node.Node != nil {
			t.Fatalf("B sees A's address through node: %v", node.Node)
		}
		var del struct {
			CustomerAddressDelete struct {
				DeletedAddressID *string
				UserErrors       []struct{ Code string }
			}
		}
		api.As(b.AccessToken).Query(t, `mutation($id: ID!) { customerAddressDelete(id: $id) { deletedAddressId userErrors { code } } }`, apitest.Vars{"id": addr.ID}, &del)
		if del.CustomerAddressDelete.DeletedAddressID != nil {
			t.Fatal("B deleted A's address")
		}
		api.As(a.AccessToken).Query(t, `mutation($id: ID!) { customerAddressDelete(id: $id) { deletedAddressId userErrors { code } } }`, apitest.Vars{"id": addr.ID}, &del)
		if del.CustomerAddressDelete.DeletedAddressID == nil || *del.CustomerAddressDelete.DeletedAddressID != addr.ID {
			t.Fatalf("A could not delete their address: %+v", del)
		}
	})
}

func TestWebsocketConnectionInitAuth(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db)
		acc := api.SignUp(t, "gina@example.com", "a long enough password")
		sub := api.Websocket(viewerQuery, map[string]any{"Authorization": "Bearer " + acc.AccessToken}, nil)
		defer sub.Close()
		var r viewerResp
		if err := sub.Next(&r); err != nil {
			t.Fatal(err)
		}
		if r.Viewer == nil || r.Viewer.Email != "gina@example.com" {
			t.Fatalf("viewer over websocket = %+v", r.Viewer)
		}
		anon := api.Websocket(viewerQuery, map[string]any{}, nil)
		defer anon.Close()
		var a viewerResp
		if err := anon.Next(&a); err != nil || a.Viewer != nil {
			t.Fatalf("anonymous websocket: %+v %v", a.Viewer, err)
		}
		bad := api.Websocket(viewerQuery, map[string]any{"Authorization": "Bearer nope"}, nil)
		defer bad.Close()
		if err := bad.Next(&a); err == nil {
			t.Fatal("a websocket with a refused token was accepted")
		}
	})
}

// TestBruteForce: sign-in attempts are limited per account and per client
// address, counted per attempt even when they come as aliases of one request.
func TestBruteForce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		api := apitest.New(t, db, func(c *apitest.Config) { c.Graph.OperationLimits = manyAliases })
		api.SignUp(t, "hank@example.com", "the right password")

		var q strings.Builder
		q.WriteString("mutation {")
		for i := range 100 {
			fmt.Fprintf(&q, ` a%d: customerSignIn(input: {email: "hank@example.com", password: "guess %d"}) { accessToken userErrors { code } }`, i, i)
		}
		q.WriteString("}")
		_, body := api.Post(t, map[string]any{"query": q.String()}, nil)
		var resp struct {
			Data   map[string]*struct{ UserErrors []struct{ Code string } }
			Errors []apitest.Error
		}
		mustJSON(t, body, &resp)
		wrong, limited := 0, 0
		for _, v := range resp.Data {
			if v != nil && len(v.UserErrors) == 1 && v.UserErrors[0].Code == "INVALID_CREDENTIALS" {
				wrong++
			}
		}
		for _, e := range resp.Errors {
			if e.Code() == "RATE_LIMITED" {
				limited++
			}
		}
		// The account allows 5 attempts at once (the sign-up used one sign-in).
		if wrong+limited != 100 || wrong > 5 || limited < 95 {
			t.Fatalf("100 aliased guesses: %d checked, %d limited", wrong, limited)
		}
		// Even the right password is refused while the account is limited.
		api.ExpectCode(t, "RATE_LIMITED", `mutation { customerSignIn(input: {email: "hank@example.com", password: "the right password"}) { accessToken } }`, nil)

		// 100 requests in a row, each for a different account, from one address:
		// the per-address limit (20 at once) stops them.
		limited = 0
		for i := range 100 {
			_, body := api.Post(t, map[string]any{"query": fmt.Sprintf(`mutation { customerSignIn(input: {email: "user%d@example.com", password: "whatever pw"}) { accessToken } }`, i)}, nil)
			if strings.Contains(string(body), "RATE_LIMITED") {
				limited++
			}
		}
		if limited < 75 {
			t.Fatalf("100 sign-ins in a row from one address: only %d limited", limited)
		}
	})
}

func claimsOf(t testing.TB, token string) (customerID, sessionID int) {
	t.Helper()
	parts := strings.Split(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Sub string
		Sid int
	}
	mustJSON(t, raw, &c)
	fmt.Sscan(c.Sub, &customerID)
	return customerID, c.Sid
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func flip(s string) string {
	b := []byte(s)
	if b[3] == 'A' {
		b[3] = 'B'
	} else {
		b[3] = 'A'
	}
	return string(b)
}
