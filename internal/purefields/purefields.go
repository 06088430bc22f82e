// Package purefields names storefront's resolvers that the generated
// executor may run in order, without a goroutine of their own: the one list
// that internal/gqlpost (the rewrites of gqlgen's executor) and
// internal/gqlgenerate (the direct writer) both read.
package purefields

// Pure are the Type.field resolvers that compute from their parent alone
// (no loader, no I/O): the price range from the product's columns, the
// featured image from its images, a variant's prices from its own columns,
// availability from the columns commerce/inventory stores (in_stock,
// available), a priced cart's lines' identity, quantity and money, an order
// event's status, a stock level's available quantity and an inventory
// event's IDs. (A cart's and an order's own amounts are methods of
// cart.Priced and ent.Order, which the schema binds without a resolver.)
const Pure = "Product.priceRange,Product.featuredImage,Product.availableForSale," +
	"ProductVariant.price,ProductVariant.compareAtPrice,ProductVariant.quantityAvailable,ProductVariant.availableForSale," +
	"CartLine.id,CartLine.quantity,CartLine.cost," +
	"OrderStatusEvent.status,StockLevel.available,InventoryEvent.variantId,InventoryEvent.productId"

// Edge are the Type.field fields that read an edge loaded with the parent
// (ent's field collection, or set by the parent's resolver) and query only
// when it was not loaded: they seldom wait, and when they do it is one
// statement of their own (no loader), so running them in order changes no
// statement count.
const Edge = "Product.category,ProductVariant.product,OrderLine.unitPrice,OrderLine.total,StockLevel.warehouse"
