package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"storefront/commerce/catalog"
	"storefront/ent"
	"storefront/ent/order"
	"storefront/ent/product"
	"storefront/graph/loader"
	"storefront/internal/fastexec"
)

// Loaders batch by time: they run a batch a moment after its first key, so
// a page whose fields resolve slowly (under load, or under -race) can be
// split into several batches. For the order pages the resolvers instead
// prime the loaders with one statement per field for the whole page, which
// keeps the number of statements per request fixed, whatever the page size
// or the scheduling. Product pages need no priming: availableForSale and
// quantityAvailable read the availability that commerce/inventory stores
// on the rows already loaded.

// satisfies names the types whose fragments count when walking a selection.
var satisfies = []string{"ProductConnection", "ProductEdge", "Product", "ProductVariant", "Node",
	"OrderConnection", "OrderEdge", "Order", "OrderLine"}

// selected returns the fields named by path below the current field (one
// per alias at the last step), or none.
func selected(ctx context.Context, path ...string) []graphql.CollectedField {
	fc, oc := graphql.GetFieldContext(ctx), graphql.GetOperationContext(ctx)
	if fc == nil || oc == nil {
		return nil
	}
	fields := graphql.CollectFields(oc, fc.Field.Selections, satisfies)
	for i, name := range path {
		var match []graphql.CollectedField
		for _, f := range fields {
			if f.Name == name {
				match = append(match, f)
			}
		}
		if len(match) == 0 || i == len(path)-1 {
			return match
		}
		fields = nil
		for _, m := range match {
			fields = append(fields, graphql.CollectFields(oc, m.Selections, satisfies)...)
		}
	}
	return nil
}

// selects reports whether the current field's selection reaches path.
func selects(ctx context.Context, path ...string) bool {
	return len(selected(ctx, path...)) > 0
}

func hasField(fields []graphql.CollectedField, names ...string) bool {
	for _, f := range fields {
		for _, n := range names {
			if f.Name == n {
				return true
			}
		}
	}
	return false
}

// primeOrders loads, in one statement each, what the selection under
// "edges.node" of an order connection asks: the orders' lines, the lines'
// variants (and their products, when asked for) and the status histories.
func primeOrders(ctx context.Context, client *ent.Client, conn *ent.OrderConnection) {
	if conn == nil || len(conn.Edges) == 0 {
		return
	}
	orders := map[int]*ent.Order{}
	ids := make([]int, 0, len(conn.Edges))
	for _, e := range conn.Edges {
		if e != nil && e.Node != nil {
			orders[e.Node.ID] = e.Node
			ids = append(ids, e.Node.ID)
		}
	}
	l := loader.For(ctx)
	if selects(ctx, "edges", "node", "lines") {
		lines, err := loader.OrderLinesOf(ctx, client, ids)
		if err != nil {
			return
		}
		var variantIDs []int
		for _, id := range ids {
			for _, line := range lines[id] {
				line.Edges.Order = orders[id] // the line's currency
				variantIDs = append(variantIDs, line.VariantID)
			}
			l.OrderLines.Prime(id, lines[id])
		}
		markReady(ctx, "edges", "node", "lines")
		if len(variantIDs) > 0 && selects(ctx, "edges", "node", "lines", "variant") {
			withProduct := selects(ctx, "edges", "node", "lines", "variant", "product")
			if vs, err := loader.Variants(ctx, client, variantIDs, withProduct); err == nil {
				for _, id := range variantIDs {
					l.Variant.Prime(id, vs[id])
				}
				markReady(ctx, "edges", "node", "lines", "variant")
			}
		}
	}
	if selects(ctx, "edges", "node", "statusHistory") {
		if events, err := loader.OrderEventsOf(ctx, client, ids); err == nil {
			for _, id := range ids {
				l.OrderEvents.Prime(id, events[id])
			}
			markReady(ctx, "edges", "node", "statusHistory")
		}
	}
}

// productColumns are the product columns each Product field reads
// (commerce/catalog.PriceRangeOf, the availability stored by
// commerce/inventory, the category edge's key). A field not listed makes
// the list read every column.
var productColumns = map[string][]string{
	"__typename":       nil,
	"id":               nil,
	"variants":         nil, // loaded by the variants' product_id
	"createdAt":        {product.FieldCreatedAt},
	"updatedAt":        {product.FieldUpdatedAt},
	"title":            {product.FieldTitle},
	"slug":             {product.FieldSlug},
	"description":      {product.FieldDescription},
	"status":           {product.FieldStatus},
	"category":         {product.FieldCategoryID},
	"images":           {product.FieldImages},
	"featuredImage":    {product.FieldImages},
	"priceRange":       {product.FieldMinPrice, product.FieldMaxPrice, product.FieldCurrencyCode},
	"availableForSale": {product.FieldInStock},
}

// markReady tells the direct writer that the fields at path, under the
// current field, read loaders primed for every object they are selected on
// (fastexec.MarkReady).
func markReady(ctx context.Context, path ...string) {
	for _, f := range selected(ctx, path...) {
		fastexec.MarkReady(ctx, f.Field)
	}
}

// orderColumns are the order columns each Order field reads (the money
// fields' currency, the lines' currency); a field not listed makes the
// list read every column. Orders are not shared through a loader, so a
// partial row serves only the page that read it.
var orderColumns = map[string][]string{
	"__typename":      nil,
	"id":              nil,
	"statusHistory":   nil, // loaded by the events' order_id
	"lines":           {order.FieldCurrencyCode},
	"createdAt":       {order.FieldCreatedAt},
	"updatedAt":       {order.FieldUpdatedAt},
	"number":          {order.FieldNumber},
	"email":           {order.FieldEmail},
	"status":          {order.FieldStatus},
	"subtotalPrice":   {order.FieldSubtotal, order.FieldCurrencyCode},
	"totalDiscount":   {order.FieldDiscount, order.FieldCurrencyCode},
	"totalShipping":   {order.FieldShipping, order.FieldCurrencyCode},
	"totalTax":        {order.FieldTax, order.FieldCurrencyCode},
	"totalPrice":      {order.FieldTotal, order.FieldCurrencyCode},
	"discountCode":    {order.FieldDiscountCode},
	"shippingAddress": {order.FieldShippingAddress},
}

// selectedColumns returns the columns that the page's selection (under
// edges.node and nodes) reads, by the table of each field's columns, and
// false when a selected field is not in the table (read every column).
func selectedColumns(ctx context.Context, table map[string][]string) ([]string, bool) {
	var columns []string
	for _, path := range [][]string{{"edges", "node"}, {"nodes"}} {
		for _, f := range selected(ctx, path...) {
			for _, sub := range graphql.CollectFields(graphql.GetOperationContext(ctx), f.Selections, satisfies) {
				cols, ok := table[sub.Name]
				if !ok {
					return nil, false
				}
				columns = append(columns, cols...)
			}
		}
	}
	return columns, true
}

// listOptions reads only the product columns that the page's selection
// (under edges.node and nodes) needs, and seals no cursor when it shows
// none (neither edges.cursor nor pageInfo).
func listOptions(ctx context.Context) []catalog.ListOption {
	var opts []catalog.ListOption
	if columns, ok := selectedColumns(ctx, productColumns); ok {
		opts = append(opts, catalog.WithColumns(columns...))
	}
	if !selects(ctx, "edges", "cursor") && !selects(ctx, "pageInfo") {
		opts = append(opts, catalog.WithoutCursors())
	}
	return opts
}

// orderListColumns are the order columns that the page's selection needs,
// or none for every column.
func orderListColumns(ctx context.Context) []string {
	columns, ok := selectedColumns(ctx, orderColumns)
	if !ok {
		return nil
	}
	return append(columns, order.FieldID)
}
