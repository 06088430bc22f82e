package graph

import (
	"context"
	"strconv"
	"time"

	"storefront/auth/ratelimit"
	"storefront/commerce"
	"storefront/commerce/cart"
	"storefront/commerce/catalog"
	"storefront/commerce/identity"
	"storefront/commerce/inventory"
	"storefront/commerce/orders"
	"storefront/commerce/viewer"
	"storefront/graph/oplimit"
	"storefront/relay/lookup"
	"storefront/relay/paging"
)

// listBounds declares how long every plain list of the schema can be, for
// the cost model; each bound is enforced by the domain package named.
// Connections are sized by first/last. A new list field without a line
// here makes NewHandler fail (and TestEveryListIsBounded).
var listBounds = map[string]oplimit.Bound{
	"Query.nodes":            {Arg: "ids", Max: lookup.MaxNodes},
	"Query.predictiveSearch": {Arg: "limit", Default: catalog.DefaultSuggestions, Max: catalog.MaxSuggestions, Children: true},

	"Product.variants":               {Max: catalog.MaxVariants},
	"Product.images":                 {Max: catalog.MaxImages},
	"ProductVariant.selectedOptions": {Max: catalog.MaxOptions},
	"ProductVariant.stockLevels":     {Max: inventory.MaxWarehouses},
	"Category.children":              {Max: catalog.MaxChildren},

	"Customer.addresses": {Max: identity.MaxAddresses},

	"Cart.lines":           {Max: cart.MaxLines},
	"CartPayload.warnings": {Max: cart.MaxLines},
	"Order.lines":          {Max: cart.MaxLines},
	"Order.statusHistory":  {Max: orders.MaxHistory},

	// A payload carries one userError today (a mutation stops at its first
	// mistake) and one warning per line at most; the bound leaves room.
	"*.userErrors": {Max: 10},
}

// fieldWeights price the long texts: a description holds up to 20,000
// characters, twenty times what most fields weigh in an answer.
var fieldWeights = map[string]int{
	"Product.description":  20,
	"Category.description": 20,
}

func operationLimits(opts Options, known oplimit.Known) *oplimit.Extension {
	limits := opts.OperationLimits
	limits.MaxCost, limits.Timeout, limits.MaxResponseBytes = opts.ComplexityLimit, opts.OperationTimeout, opts.MaxResponseBytes
	ext := oplimit.New(limits, oplimit.Model{
		Bounds:  listBounds,
		Weights: fieldWeights,
		Paging:  oplimit.Paging{Default: paging.DefaultPageSize, Max: paging.MaxPageSize},
	}, known)
	if opts.ClientCostPerMinute > 0 {
		ext.Charge = costBudget(opts.ClientCostPerMinute)
	}
	return ext
}

// costBudget gives each client (a signed-in customer, else a client
// address) perMinute units of operation cost per minute, a minute's worth
// at once; an operation that costs more than is left is refused with
// RATE_LIMITED and the wait.
func costBudget(perMinute int) func(ctx context.Context, cost int) error {
	l := ratelimit.New(max(time.Minute/time.Duration(perMinute), time.Nanosecond), perMinute)
	return func(ctx context.Context, cost int) error {
		v := viewer.FromContext(ctx)
		key := "ip:" + v.ClientIP
		if v.SignedIn() {
			key = "customer:" + strconv.Itoa(v.CustomerID)
		}
		if wait, ok := l.Take(key, cost); !ok {
			err := commerce.RateLimitedFor(wait, "this client has spent its operation budget (%d cost units per minute); try again in %s", perMinute, max(wait, time.Second).Round(time.Second))
			// gqlgen writes the status line of a refused operation before
			// it presents the error: record the wait now.
			retryAfter(ctx, err.RetryAfterSeconds())
			return err
		}
		return nil
	}
}
