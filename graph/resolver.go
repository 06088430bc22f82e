package graph

import (
	"storefront/commerce/cart"
	"storefront/commerce/catalog"
	"storefront/commerce/checkout"
	"storefront/commerce/identity"
	"storefront/commerce/inventory"
	"storefront/commerce/live"
	"storefront/commerce/orders"
	"storefront/ent"
	"storefront/relay/lookup"
)

// Resolver holds the dependencies of every resolver: the client and the
// shop's services. Resolvers translate GraphQL to a domain call and back;
// rules live in the commerce packages.
type Resolver struct {
	Client *ent.Client
	Services
}

// Services are the shop's services the resolvers call. app.Build makes
// each once; NewHandler only uses them.
type Services struct {
	Catalog   *catalog.Service
	Lookup    *lookup.Service
	Identity  *identity.Service
	Inventory *inventory.Service
	Carts     *cart.Service
	Checkout  *checkout.Service
	// OrderService (not Orders: resolvers have methods of that name).
	OrderService *orders.Service
	Live         *live.Service
}
