package graph

import (
	"storefront/commerce/cart"
	"storefront/commerce/catalog"
	"storefront/commerce/identity"
	"storefront/commerce/inventory"
	"storefront/commerce/lookup"
	"storefront/commerce/orders"
	"storefront/commerce/paging"
	"storefront/graph/oplimit"
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

func operationLimits(limit int, known oplimit.Known) *oplimit.Extension {
	return oplimit.New(oplimit.Limits{MaxCost: limit}, listBounds, oplimit.Paging{Default: paging.DefaultPageSize, Max: paging.MaxPageSize}, known)
}
