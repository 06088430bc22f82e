package access_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"storefront/commerce"
	"storefront/commerce/access"
	"storefront/commerce/viewer"
	"storefront/database"
	"storefront/database/dbtest"
	"storefront/ent"
	"storefront/ent/address"
	"storefront/ent/cart"
	"storefront/ent/cartline"
	"storefront/ent/customer"
	"storefront/ent/discountcode"
	"storefront/ent/order"
	"storefront/ent/orderline"
	"storefront/ent/privacy"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/schematype"
	"storefront/ent/stocklevel"
)

// fixture is one shop with a row of every type that has a policy, made in
// a System context.
type fixture struct {
	custA, custB, staff int

	category                     int
	active, draft, archived      int // products
	vActive, vDraft, vArchived   int // one variant of each
	spare                        int // a second variant of the ACTIVE product, in no cart
	warehouse, stock             int
	address                      int // customer A's
	cartA, guestNamed, guestCart int // guestCart is a guest cart the operation did not name
	lineA, lineNamed, lineGuest  int
	orderA, orderNamed, orderGst int // orderGst: a guest order the operation did not name
	olA, olNamed, olGuest        int // order lines
	evA, evNamed, evGuest        int // order events
	discount                     int
	session, token               int // customer A's
}

var mailing = schematype.MailingAddress{FirstName: "A", LastName: "B", Address1: "1 Main St", City: "Springfield", CountryCode: "US"}

func newFixture(t *testing.T, db *database.DB) *fixture {
	t.Helper()
	sys := access.System(context.Background())
	c := db.Client
	f := &fixture{}
	mkCustomer := func(email string, role customer.Role) int {
		return c.Customer.Create().SetEmail(email).SetPasswordHash("x").SetRole(role).SaveX(sys).ID
	}
	f.custA = mkCustomer("a@example.com", customer.RoleCUSTOMER)
	f.custB = mkCustomer("b@example.com", customer.RoleCUSTOMER)
	f.staff = mkCustomer("staff@example.com", customer.RoleSTAFF)

	f.category = c.Category.Create().SetName("Shirts").SetSlug("shirts").SaveX(sys).ID
	mkProduct := func(slug string, s product.Status) (int, int) {
		p := c.Product.Create().SetTitle(slug).SetSlug(slug).SetStatus(s).SetCategoryID(f.category).SaveX(sys)
		v := c.ProductVariant.Create().SetProductID(p.ID).SetSku(strings.ToUpper(slug)).SetPrice(1000).SaveX(sys)
		return p.ID, v.ID
	}
	f.active, f.vActive = mkProduct("active", product.StatusACTIVE)
	f.draft, f.vDraft = mkProduct("draft", product.StatusDRAFT)
	f.archived, f.vArchived = mkProduct("archived", product.StatusARCHIVED)
	f.spare = c.ProductVariant.Create().SetProductID(f.active).SetSku("SPARE").SetPrice(1000).SaveX(sys).ID

	f.warehouse = c.Warehouse.Create().SetCode("W").SetName("W").SaveX(sys).ID
	f.stock = c.StockLevel.Create().SetVariantID(f.vActive).SetWarehouseID(f.warehouse).SetOnHand(5).SaveX(sys).ID

	f.address = c.Address.Create().SetCustomerID(f.custA).SetAddress1("1 Main St").SetCity("Springfield").SetCountryCode("US").SaveX(sys).ID
	c.Customer.UpdateOneID(f.custA).SetDefaultAddressID(f.address).ExecX(sys)

	f.cartA = c.Cart.Create().SetCustomerID(f.custA).SaveX(sys).ID
	f.guestNamed = c.Cart.Create().SaveX(sys).ID
	f.guestCart = c.Cart.Create().SaveX(sys).ID
	mkLine := func(cartID int) int {
		return c.CartLine.Create().SetCartID(cartID).SetVariantID(f.vActive).SetQuantity(1).SaveX(sys).ID
	}
	f.lineA, f.lineNamed, f.lineGuest = mkLine(f.cartA), mkLine(f.guestNamed), mkLine(f.guestCart)

	mkOrder := func(number string, owner *int, cartID int) (int, int, int) {
		o := c.Order.Create().SetNumber(number).SetNillableCustomerID(owner).SetCartID(cartID).
			SetEmail("a@example.com").SetCurrencyCode("USD").SetSubtotal(1000).SetTotal(1000).
			SetShippingAddress(mailing).SaveX(sys)
		l := newOrderLine(c, o.ID, f.vActive).SaveX(sys)
		e := c.OrderEvent.Create().SetOrderID(o.ID).SetStatus(string(order.StatusPENDING_PAYMENT)).SaveX(sys)
		return o.ID, l.ID, e.ID
	}
	f.orderA, f.olA, f.evA = mkOrder("SF-AAAA-AAAA", &f.custA, f.cartA)
	f.orderNamed, f.olNamed, f.evNamed = mkOrder("SF-BBBB-BBBB", nil, f.guestNamed)
	f.orderGst, f.olGuest, f.evGuest = mkOrder("SF-CCCC-CCCC", nil, f.guestCart)

	f.discount = c.DiscountCode.Create().SetCode("TEN").SetKind(discountcode.KindPERCENTAGE).SetValue(1000).SaveX(sys).ID
	f.session = c.Session.Create().SetCustomerID(f.custA).SetExpiresAt(time.Now().Add(time.Hour)).SaveX(sys).ID
	f.token = c.RefreshToken.Create().SetSessionID(f.session).SetTokenHash([]byte("token")).SaveX(sys).ID
	return f
}

func newOrderLine(c *ent.Client, orderID, variantID int) *ent.OrderLineCreate {
	return c.OrderLine.Create().SetOrderID(orderID).SetVariantID(variantID).
		SetProductTitle("P").SetVariantTitle("V").SetSku("SKU").
		SetUnitPrice(1000).SetQuantity(1).SetLineTotal(1000).
		SetAllocations([]schematype.Allocation{})
}

// as returns the context of an operation by v that named the guest cart
// guestNamed and the guest order orderNamed by their IDs (as cart(id) and
// order(id) do).
func as(f *fixture, v viewer.Viewer) context.Context {
	ctx := access.WithKnownIDs(viewer.NewContext(context.Background(), v))
	access.Know(ctx, cart.Table, f.guestNamed)
	access.Know(ctx, order.Table, f.orderNamed)
	return ctx
}

// The roles of the table, in the order of entity.want.
var roles = []struct {
	name string
	ctx  func(f *fixture) context.Context
}{
	{"anonymous", func(f *fixture) context.Context { return as(f, viewer.Viewer{}) }},
	{"customerA", func(f *fixture) context.Context {
		return as(f, viewer.Viewer{CustomerID: f.custA, Role: viewer.Customer})
	}},
	{"customerB", func(f *fixture) context.Context {
		return as(f, viewer.Viewer{CustomerID: f.custB, Role: viewer.Customer})
	}},
	{"staff", func(f *fixture) context.Context { return as(f, viewer.Viewer{CustomerID: f.staff, Role: viewer.Staff}) }},
	{"system", func(f *fixture) context.Context { return access.System(as(f, viewer.Viewer{})) }},
}

// The operations of the table, in the order of the letters of entity.want.
var ops = []string{"read", "create", "update", "delete"}

// kind is how the table reads and writes the rows of one ent type. Every
// function runs on a transaction's client; those that check an outcome run
// in a System context.
type kind struct {
	get  func(ctx context.Context, c *ent.Client, id int) error
	list func(ctx context.Context, c *ent.Client) ([]int, error)
	// update changes a field to a mark that updated recognises; nil when
	// every field of the type is immutable.
	update  func(ctx context.Context, c *ent.Client, id int) error
	updated func(ctx context.Context, c *ent.Client, id int) (bool, error)
	del     func(ctx context.Context, c *ent.Client, id int) error
}

func errOf[T any](_ T, err error) error { return err }

var (
	categories = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Category.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Category.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Category.UpdateOneID(id).SetName("marked").Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Category.Get(ctx, id)
			return err == nil && x.Name == "marked", err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Category.DeleteOneID(id).Exec(ctx) },
	}
	products = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Product.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Product.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Product.UpdateOneID(id).SetTitle("marked").Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Product.Get(ctx, id)
			return err == nil && x.Title == "marked", err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Product.DeleteOneID(id).Exec(ctx) },
	}
	variants = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.ProductVariant.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.ProductVariant.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.ProductVariant.UpdateOneID(id).SetTitle("marked").Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.ProductVariant.Get(ctx, id)
			return err == nil && x.Title == "marked", err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error {
			return c.ProductVariant.DeleteOneID(id).Exec(ctx)
		},
	}
	warehouses = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Warehouse.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Warehouse.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Warehouse.UpdateOneID(id).SetName("marked").Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Warehouse.Get(ctx, id)
			return err == nil && x.Name == "marked", err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Warehouse.DeleteOneID(id).Exec(ctx) },
	}
	stockLevels = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.StockLevel.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.StockLevel.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.StockLevel.UpdateOneID(id).SetOnHand(42).Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.StockLevel.Get(ctx, id)
			return err == nil && x.OnHand == 42, err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.StockLevel.DeleteOneID(id).Exec(ctx) },
	}
	customers = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Customer.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Customer.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Customer.UpdateOneID(id).SetName("marked").Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Customer.Get(ctx, id)
			return err == nil && x.Name == "marked", err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Customer.DeleteOneID(id).Exec(ctx) },
	}
	addresses = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Address.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Address.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Address.UpdateOneID(id).SetCity("marked").Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Address.Get(ctx, id)
			return err == nil && x.City == "marked", err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Address.DeleteOneID(id).Exec(ctx) },
	}
	carts = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Cart.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Cart.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Cart.UpdateOneID(id).SetVersion(42).Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Cart.Get(ctx, id)
			return err == nil && x.Version == 42, err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Cart.DeleteOneID(id).Exec(ctx) },
	}
	cartLines = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.CartLine.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.CartLine.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.CartLine.UpdateOneID(id).SetQuantity(42).Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.CartLine.Get(ctx, id)
			return err == nil && x.Quantity == 42, err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.CartLine.DeleteOneID(id).Exec(ctx) },
	}
	orders = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Order.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Order.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Order.UpdateOneID(id).SetStatus(order.StatusCANCELLED).Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Order.Get(ctx, id)
			return err == nil && x.Status == order.StatusCANCELLED, err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Order.DeleteOneID(id).Exec(ctx) },
	}
	orderLines = kind{ // every field is immutable
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.OrderLine.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.OrderLine.Query().IDs(ctx) },
		del:  func(ctx context.Context, c *ent.Client, id int) error { return c.OrderLine.DeleteOneID(id).Exec(ctx) },
	}
	orderEvents = kind{ // every field is immutable
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.OrderEvent.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.OrderEvent.Query().IDs(ctx) },
		del:  func(ctx context.Context, c *ent.Client, id int) error { return c.OrderEvent.DeleteOneID(id).Exec(ctx) },
	}
	discountCodes = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.DiscountCode.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.DiscountCode.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.DiscountCode.UpdateOneID(id).SetValue(42).Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.DiscountCode.Get(ctx, id)
			return err == nil && x.Value == 42, err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error {
			return c.DiscountCode.DeleteOneID(id).Exec(ctx)
		},
	}
	sessions = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.Session.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.Session.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.Session.UpdateOneID(id).SetUserAgent("marked").Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.Session.Get(ctx, id)
			return err == nil && x.UserAgent == "marked", err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error { return c.Session.DeleteOneID(id).Exec(ctx) },
	}
	refreshTokens = kind{
		get:  func(ctx context.Context, c *ent.Client, id int) error { return errOf(c.RefreshToken.Get(ctx, id)) },
		list: func(ctx context.Context, c *ent.Client) ([]int, error) { return c.RefreshToken.Query().IDs(ctx) },
		update: func(ctx context.Context, c *ent.Client, id int) error {
			return c.RefreshToken.UpdateOneID(id).SetUsedAt(time.Now()).Exec(ctx)
		},
		updated: func(ctx context.Context, c *ent.Client, id int) (bool, error) {
			x, err := c.RefreshToken.Get(ctx, id)
			return err == nil && x.UsedAt != nil, err
		},
		del: func(ctx context.Context, c *ent.Client, id int) error {
			return c.RefreshToken.DeleteOneID(id).Exec(ctx)
		},
	}
)

type fn = func(ctx context.Context, c *ent.Client, f *fixture) (int, error)

func idOf[T any](x T, err error, id func(T) int) (int, error) {
	if err != nil {
		return 0, err
	}
	return id(x), nil
}

// Creators of a new row like the entity's (same owner, cart, order or
// product), for the create operation.
func newProduct(s product.Status) fn {
	return func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
		p, err := c.Product.Create().SetTitle("New").SetSlug("new").SetStatus(s).SetCategoryID(f.category).Save(ctx)
		return idOf(p, err, func(p *ent.Product) int { return p.ID })
	}
}

func newVariant(productID func(*fixture) int) fn {
	return func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
		v, err := c.ProductVariant.Create().SetProductID(productID(f)).SetSku("NEW").SetPrice(1).Save(ctx)
		return idOf(v, err, func(v *ent.ProductVariant) int { return v.ID })
	}
}

func newCart(owner func(*fixture) *int) fn {
	return func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
		x, err := c.Cart.Create().SetNillableCustomerID(owner(f)).Save(ctx)
		return idOf(x, err, func(x *ent.Cart) int { return x.ID })
	}
}

func newCartLine(cartID func(*fixture) int) fn {
	return func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
		l, err := c.CartLine.Create().SetCartID(cartID(f)).SetVariantID(f.spare).SetQuantity(1).Save(ctx)
		return idOf(l, err, func(l *ent.CartLine) int { return l.ID })
	}
}

func newOrder(owner func(*fixture) *int) fn {
	return func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
		o, err := c.Order.Create().SetNumber("SF-NEWW-NEWW").SetNillableCustomerID(owner(f)).SetCartID(f.cartA).
			SetEmail("new@example.com").SetCurrencyCode("USD").SetSubtotal(1).SetTotal(1).
			SetShippingAddress(mailing).Save(ctx)
		return idOf(o, err, func(o *ent.Order) int { return o.ID })
	}
}

func newOrderLineIn(orderID func(*fixture) int) fn {
	return func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
		l, err := newOrderLine(c, orderID(f), f.spare).Save(ctx)
		return idOf(l, err, func(l *ent.OrderLine) int { return l.ID })
	}
}

func newOrderEvent(orderID func(*fixture) int) fn {
	return func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
		e, err := c.OrderEvent.Create().SetOrderID(orderID(f)).SetStatus(string(order.StatusPAID)).Save(ctx)
		return idOf(e, err, func(e *ent.OrderEvent) int { return e.ID })
	}
}

// unblockVariants removes the rows that reference the variants (their
// foreign keys have no ON DELETE action), so that deleting the variants is
// decided by the rules alone.
func unblockVariants(ctx context.Context, c *ent.Client, ids ...int) error {
	if _, err := c.StockLevel.Delete().Where(stocklevel.VariantIDIn(ids...)).Exec(ctx); err != nil {
		return err
	}
	if _, err := c.CartLine.Delete().Where(cartline.VariantIDIn(ids...)).Exec(ctx); err != nil {
		return err
	}
	_, err := c.OrderLine.Delete().Where(orderline.VariantIDIn(ids...)).Exec(ctx)
	return err
}

func unblockVariant(id func(*fixture) int) func(context.Context, *ent.Client, *fixture) error {
	return func(ctx context.Context, c *ent.Client, f *fixture) error { return unblockVariants(ctx, c, id(f)) }
}

func unblockProduct(id func(*fixture) int) func(context.Context, *ent.Client, *fixture) error {
	return func(ctx context.Context, c *ent.Client, f *fixture) error {
		ids, err := c.ProductVariant.Query().Where(productvariant.ProductID(id(f))).IDs(ctx)
		if err != nil {
			return err
		}
		if err := unblockVariants(ctx, c, ids...); err != nil {
			return err
		}
		_, err = c.ProductVariant.Delete().Where(productvariant.IDIn(ids...)).Exec(ctx)
		return err
	}
}

func ptr(id func(*fixture) int) func(*fixture) *int {
	return func(f *fixture) *int { v := id(f); return &v }
}

func noOwner(*fixture) *int { return nil }

// entity is a row of the policy table.
type entity struct {
	name   string
	kind   kind
	id     func(*fixture) int
	create fn
	// unblock runs in a System context before a delete: it removes rows
	// whose foreign keys would refuse the delete.
	unblock func(ctx context.Context, c *ent.Client, f *fixture) error
	// want is the outcome per role (anonymous, customer A, customer B,
	// staff, system), one letter per operation (read, create, update,
	// delete):
	//
	//	A  allowed: read returns the row (Get, and in the list); a mutation
	//	   succeeds and its effect is there
	//	H  hidden: read answers not found and the list leaves the row out;
	//	   an update or delete of it answers not found and changes nothing
	//	D  denied: privacy.Deny, nothing changes
	//	-  no such operation (every field is immutable)
	want [5]string
}

// Outcome rows shared by several entities.
var (
	publicCatalog = [5]string{"ADDD", "ADDD", "ADDD", "AAAA", "AAAA"}
	staffCatalog  = [5]string{"HDDD", "HDDD", "HDDD", "AAAA", "AAAA"}
	systemOnly    = [5]string{"DDDD", "DDDD", "DDDD", "DDDD", "AAAA"}
)

// Not in the table: who a cart belongs to and a customer's default address
// (TestOwnershipStays), and a cart line for a variant the viewer cannot
// see, which the rules allow (only the cart service refuses those).
var entities = []entity{
	{"category", categories, func(f *fixture) int { return f.category },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.Category.Create().SetName("New").SetSlug("new").Save(ctx)
			return idOf(x, err, func(x *ent.Category) int { return x.ID })
		}, nil, publicCatalog},
	{"product ACTIVE", products, func(f *fixture) int { return f.active }, newProduct(product.StatusACTIVE),
		unblockProduct(func(f *fixture) int { return f.active }), publicCatalog},
	{"product DRAFT", products, func(f *fixture) int { return f.draft }, newProduct(product.StatusDRAFT),
		unblockProduct(func(f *fixture) int { return f.draft }), staffCatalog},
	{"product ARCHIVED", products, func(f *fixture) int { return f.archived }, newProduct(product.StatusARCHIVED),
		unblockProduct(func(f *fixture) int { return f.archived }), staffCatalog},
	{"variant of ACTIVE", variants, func(f *fixture) int { return f.vActive }, newVariant(func(f *fixture) int { return f.active }),
		unblockVariant(func(f *fixture) int { return f.vActive }), publicCatalog},
	{"variant of DRAFT", variants, func(f *fixture) int { return f.vDraft }, newVariant(func(f *fixture) int { return f.draft }),
		unblockVariant(func(f *fixture) int { return f.vDraft }), staffCatalog},
	{"variant of ARCHIVED", variants, func(f *fixture) int { return f.vArchived }, newVariant(func(f *fixture) int { return f.archived }),
		unblockVariant(func(f *fixture) int { return f.vArchived }), staffCatalog},
	{"warehouse", warehouses, func(f *fixture) int { return f.warehouse },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.Warehouse.Create().SetCode("NEW").SetName("New").Save(ctx)
			return idOf(x, err, func(x *ent.Warehouse) int { return x.ID })
		},
		func(ctx context.Context, c *ent.Client, f *fixture) error {
			_, err := c.StockLevel.Delete().Where(stocklevel.WarehouseID(f.warehouse)).Exec(ctx)
			return err
		}, staffCatalog},
	{"stock level", stockLevels, func(f *fixture) int { return f.stock },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.StockLevel.Create().SetVariantID(f.vDraft).SetWarehouseID(f.warehouse).SetOnHand(1).Save(ctx)
			return idOf(x, err, func(x *ent.StockLevel) int { return x.ID })
		}, nil, staffCatalog},
	// Create: a new account. Update: the name (the role: TestCustomerRole).
	{"customer A", customers, func(f *fixture) int { return f.custA },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.Customer.Create().SetEmail("new@example.com").SetPasswordHash("x").Save(ctx)
			return idOf(x, err, func(x *ent.Customer) int { return x.ID })
		}, nil,
		[5]string{"HDDD", "ADAD", "HDDD", "AAAA", "AAAA"}},
	{"address of A", addresses, func(f *fixture) int { return f.address },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.Address.Create().SetCustomerID(f.custA).SetAddress1("2 Main St").SetCity("Springfield").SetCountryCode("US").Save(ctx)
			return idOf(x, err, func(x *ent.Address) int { return x.ID })
		}, nil,
		[5]string{"HDDD", "AAAA", "HDHH", "AAAA", "AAAA"}},
	{"cart of A", carts, func(f *fixture) int { return f.cartA }, newCart(ptr(func(f *fixture) int { return f.custA })), nil,
		[5]string{"HDHH", "AAAA", "HDHH", "AAAA", "AAAA"}},
	// Creating a guest cart needs no ID: anyone may.
	{"guest cart, named", carts, func(f *fixture) int { return f.guestNamed }, newCart(noOwner), nil,
		[5]string{"AAAA", "AAAA", "AAAA", "AAAA", "AAAA"}},
	{"guest cart, not named", carts, func(f *fixture) int { return f.guestCart }, newCart(noOwner), nil,
		[5]string{"HAHH", "HAHH", "HAHH", "AAAA", "AAAA"}},
	{"cart line of A", cartLines, func(f *fixture) int { return f.lineA }, newCartLine(func(f *fixture) int { return f.cartA }), nil,
		[5]string{"HDHH", "AAAA", "HDHH", "AAAA", "AAAA"}},
	{"cart line, named guest cart", cartLines, func(f *fixture) int { return f.lineNamed }, newCartLine(func(f *fixture) int { return f.guestNamed }), nil,
		[5]string{"AAAA", "AAAA", "AAAA", "AAAA", "AAAA"}},
	{"cart line, guest cart not named", cartLines, func(f *fixture) int { return f.lineGuest }, newCartLine(func(f *fixture) int { return f.guestCart }), nil,
		[5]string{"HDHH", "HDHH", "HDHH", "AAAA", "AAAA"}},
	{"order of A", orders, func(f *fixture) int { return f.orderA }, newOrder(ptr(func(f *fixture) int { return f.custA })), nil,
		[5]string{"HDDD", "ADDD", "HDDD", "AAAA", "AAAA"}},
	{"guest order, named", orders, func(f *fixture) int { return f.orderNamed }, newOrder(noOwner), nil,
		[5]string{"ADDD", "ADDD", "ADDD", "AAAA", "AAAA"}},
	{"guest order, not named", orders, func(f *fixture) int { return f.orderGst }, newOrder(noOwner), nil,
		[5]string{"HDDD", "HDDD", "HDDD", "AAAA", "AAAA"}},
	{"order line of A", orderLines, func(f *fixture) int { return f.olA }, newOrderLineIn(func(f *fixture) int { return f.orderA }), nil,
		[5]string{"HD-D", "AD-D", "HD-D", "AA-A", "AA-A"}},
	{"order line, named guest order", orderLines, func(f *fixture) int { return f.olNamed }, newOrderLineIn(func(f *fixture) int { return f.orderNamed }), nil,
		[5]string{"AD-D", "AD-D", "AD-D", "AA-A", "AA-A"}},
	{"order line, guest order not named", orderLines, func(f *fixture) int { return f.olGuest }, newOrderLineIn(func(f *fixture) int { return f.orderGst }), nil,
		[5]string{"HD-D", "HD-D", "HD-D", "AA-A", "AA-A"}},
	{"order event of A", orderEvents, func(f *fixture) int { return f.evA }, newOrderEvent(func(f *fixture) int { return f.orderA }), nil,
		[5]string{"HD-D", "AD-D", "HD-D", "AA-A", "AA-A"}},
	{"order event, named guest order", orderEvents, func(f *fixture) int { return f.evNamed }, newOrderEvent(func(f *fixture) int { return f.orderNamed }), nil,
		[5]string{"AD-D", "AD-D", "AD-D", "AA-A", "AA-A"}},
	{"order event, guest order not named", orderEvents, func(f *fixture) int { return f.evGuest }, newOrderEvent(func(f *fixture) int { return f.orderGst }), nil,
		[5]string{"HD-D", "HD-D", "HD-D", "AA-A", "AA-A"}},
	{"discount code", discountCodes, func(f *fixture) int { return f.discount },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.DiscountCode.Create().SetCode("NEW").SetKind(discountcode.KindFIXED_AMOUNT).SetValue(100).Save(ctx)
			return idOf(x, err, func(x *ent.DiscountCode) int { return x.ID })
		}, nil, staffCatalog},
	// Sessions and refresh tokens: the identity service's, in a System
	// context; even staff are refused, loudly.
	{"session of A", sessions, func(f *fixture) int { return f.session },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.Session.Create().SetCustomerID(f.custA).SetExpiresAt(time.Now().Add(time.Hour)).Save(ctx)
			return idOf(x, err, func(x *ent.Session) int { return x.ID })
		}, nil, systemOnly},
	{"refresh token of A", refreshTokens, func(f *fixture) int { return f.token },
		func(ctx context.Context, c *ent.Client, f *fixture) (int, error) {
			x, err := c.RefreshToken.Create().SetSessionID(f.session).SetTokenHash([]byte("new")).Save(ctx)
			return idOf(x, err, func(x *ent.RefreshToken) int { return x.ID })
		}, nil, systemOnly},
}

func TestPolicyTableIsWellFormed(t *testing.T) {
	for _, e := range entities {
		for r, w := range e.want {
			if len(w) != len(ops) || strings.Trim(w, "AHD-") != "" {
				t.Errorf("%s, %s: want %q: one of A, H, D, - per operation", e.name, roles[r].name, w)
			}
			if (w[2] == '-') != (e.kind.update == nil) {
				t.Errorf("%s, %s: update %q, but the kind's update is nil: %v", e.name, roles[r].name, w[2], e.kind.update == nil)
			}
		}
	}
}

// TestPolicies runs every operation of every role on every entity with a
// policy, each in a transaction that is rolled back, and checks the outcome
// the rules of commerce/access give.
func TestPolicies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		for _, e := range entities {
			for r, role := range roles {
				for o, op := range ops {
					want := e.want[r][o]
					if want == '-' {
						continue
					}
					t.Run(fmt.Sprintf("%s/%s/%s", e.name, role.name, op), func(t *testing.T) {
						tx, err := db.Client.Tx(context.Background())
						if err != nil {
							t.Fatal(err)
						}
						defer func() { _ = tx.Rollback() }()
						check(t, tx.Client(), f, e, role.ctx(f), op, want)
					})
				}
			}
		}
	})
}

func outcome(err error) string {
	switch {
	case err == nil:
		return "allowed"
	case errors.Is(err, privacy.Deny):
		return fmt.Sprintf("denied (%v)", err)
	case ent.IsNotFound(err):
		return fmt.Sprintf("not found (%v)", err)
	}
	return fmt.Sprintf("error %v", err)
}

// matches reports whether err is the error of outcome want.
func matches(err error, want byte) bool {
	switch want {
	case 'A':
		return err == nil
	case 'H':
		return ent.IsNotFound(err)
	case 'D':
		return errors.Is(err, privacy.Deny)
	}
	return false
}

func check(t *testing.T, c *ent.Client, f *fixture, e entity, ctx context.Context, op string, want byte) {
	sys := access.System(context.Background())
	id := e.id(f)
	switch op {
	case "read":
		err := e.kind.get(ctx, c, id)
		if !matches(err, want) {
			t.Fatalf("get: %s, want %c", outcome(err), want)
		}
		ids, err := e.kind.list(ctx, c)
		switch want {
		case 'A', 'H':
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if listed := slices.Contains(ids, id); listed != (want == 'A') {
				t.Fatalf("list %v: row %d listed %v, want %v", ids, id, listed, want == 'A')
			}
		case 'D':
			if !errors.Is(err, privacy.Deny) {
				t.Fatalf("list: %s, want denied", outcome(err))
			}
		}
	case "create":
		before, err := e.kind.list(sys, c)
		if err != nil {
			t.Fatal(err)
		}
		newID, err := e.create(ctx, c, f)
		if !matches(err, want) {
			t.Fatalf("create: %s, want %c", outcome(err), want)
		}
		after, err := e.kind.list(sys, c)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case want == 'A' && (len(after) != len(before)+1 || !slices.Contains(after, newID)):
			t.Fatalf("created row %d; rows before %v, after %v", newID, before, after)
		case want != 'A' && len(after) != len(before):
			t.Fatalf("refused, yet rows before %v, after %v", before, after)
		}
	case "update":
		err := e.kind.update(ctx, c, id)
		if !matches(err, want) {
			t.Fatalf("update: %s, want %c", outcome(err), want)
		}
		changed, err := e.kind.updated(sys, c, id)
		if err != nil {
			t.Fatal(err)
		}
		if changed != (want == 'A') {
			t.Fatalf("row changed: %v, want %v", changed, want == 'A')
		}
	case "delete":
		if e.unblock != nil {
			if err := e.unblock(sys, c, f); err != nil {
				t.Fatal(err)
			}
		}
		err := e.kind.del(ctx, c, id)
		if !matches(err, want) {
			t.Fatalf("delete: %s, want %c", outcome(err), want)
		}
		err = e.kind.get(sys, c, id)
		if err != nil && !ent.IsNotFound(err) {
			t.Fatal(err)
		}
		if gone := ent.IsNotFound(err); gone != (want == 'A') {
			t.Fatalf("row gone: %v, want %v", gone, want == 'A')
		}
	default:
		t.Fatalf("unknown operation %q", op)
	}
}

// TestCustomerRole: a customer changes their own account, but never its
// role; staff may.
func TestCustomerRole(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		sys := access.System(context.Background())
		a := viewer.NewContext(context.Background(), viewer.Viewer{CustomerID: f.custA, Role: viewer.Customer})
		err := db.Client.Customer.UpdateOneID(f.custA).SetName("Ann").SetRole(customer.RoleSTAFF).Exec(a)
		if !errors.Is(err, privacy.Deny) {
			t.Fatalf("customer A making themself staff: %s, want denied", outcome(err))
		}
		if got := db.Client.Customer.GetX(sys, f.custA); got.Role != customer.RoleCUSTOMER || got.Name != "" {
			t.Fatalf("after the refused update: role %s, name %q", got.Role, got.Name)
		}
		// Even setting the role they have is a role change.
		if err := db.Client.Customer.UpdateOneID(f.custA).SetRole(customer.RoleCUSTOMER).Exec(a); !errors.Is(err, privacy.Deny) {
			t.Fatalf("customer A setting their role: %s, want denied", outcome(err))
		}
		// Only single-row updates of their own account: a bulk update, even
		// of their own row alone, is refused.
		if _, err := db.Client.Customer.Update().Where(customer.ID(f.custA)).SetName("Ann").Save(a); !errors.Is(err, privacy.Deny) {
			t.Fatalf("customer A bulk-updating their own row: %s, want denied", outcome(err))
		}
		staff := viewer.NewContext(context.Background(), viewer.Viewer{CustomerID: f.staff, Role: viewer.Staff})
		if err := db.Client.Customer.UpdateOneID(f.custB).SetRole(customer.RoleSTAFF).Exec(staff); err != nil {
			t.Fatalf("staff promoting customer B: %v", err)
		}
		if got := db.Client.Customer.GetX(sys, f.custB).Role; got != customer.RoleSTAFF {
			t.Fatalf("customer B's role after staff promoted them: %s", got)
		}
	})
}

// TestBulkMutationsReachVisibleRowsOnly: the rules that filter mutations
// (addresses, carts, cart lines) narrow bulk updates and deletes to the
// rows the viewer may see; they do not refuse them.
func TestBulkMutationsReachVisibleRowsOnly(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		sys := access.System(context.Background())
		c := db.Client
		addrB := c.Address.Create().SetCustomerID(f.custB).SetAddress1("9 Elm St").SetCity("Shelbyville").SetCountryCode("US").SaveX(sys).ID
		cartB := c.Cart.Create().SetCustomerID(f.custB).SaveX(sys).ID
		lineB := c.CartLine.Create().SetCartID(cartB).SetVariantID(f.vActive).SetQuantity(1).SaveX(sys).ID
		b := as(f, viewer.Viewer{CustomerID: f.custB, Role: viewer.Customer})
		anon := as(f, viewer.Viewer{})

		// Customer B renames every address: their own alone changes.
		n, err := c.Address.Update().SetCity("Capital City").Save(b)
		if err != nil || n != 1 {
			t.Fatalf("customer B updating all addresses: %d rows, %v; want 1 (their own)", n, err)
		}
		if got := c.Address.GetX(sys, f.address).City; got != "Springfield" {
			t.Fatalf("customer A's address changed to %q by customer B", got)
		}
		if got := c.Address.GetX(sys, addrB).City; got != "Capital City" {
			t.Fatalf("customer B's own address: %q", got)
		}
		// An anonymous viewer changes no address at all.
		if _, err := c.Address.Update().SetCity("Nowhere").Save(anon); !errors.Is(err, privacy.Deny) {
			t.Fatalf("anonymous address update: %s, want denied", outcome(err))
		}

		// Anonymous bumps every cart: the named guest cart alone changes.
		n, err = c.Cart.Update().AddVersion(1).Save(anon)
		if err != nil || n != 1 {
			t.Fatalf("anonymous updating all carts: %d rows, %v; want 1 (the named guest cart)", n, err)
		}
		for id, want := range map[int]int{f.guestNamed: 2, f.guestCart: 1, f.cartA: 1, cartB: 1} {
			if got := c.Cart.GetX(sys, id).Version; got != want {
				t.Errorf("cart %d: version %d, want %d", id, got, want)
			}
		}
		// Customer B deletes every cart line: theirs and the named guest
		// cart's go.
		n, err = c.CartLine.Delete().Exec(b)
		if err != nil || n != 2 {
			t.Fatalf("customer B deleting all cart lines: %d rows, %v; want 2", n, err)
		}
		left := c.CartLine.Query().IDsX(sys)
		slices.Sort(left)
		want := []int{f.lineA, f.lineGuest}
		slices.Sort(want)
		if !slices.Equal(left, want) || slices.Contains(left, lineB) {
			t.Fatalf("cart lines left %v, want %v", left, want)
		}
		// Customer B deletes every address: customer A's stays.
		if n, err := c.Address.Delete().Exec(b); err != nil || n != 1 {
			t.Fatalf("customer B deleting all addresses: %d rows, %v; want 1", n, err)
		}
		if !c.Address.Query().Where(address.ID(f.address)).ExistX(sys) {
			t.Fatal("customer B deleted customer A's address")
		}
		// Rules that decide by role refuse bulk writes outright.
		if _, err := c.Order.Update().SetEmail("x@example.com").Save(b); !errors.Is(err, privacy.Deny) {
			t.Fatalf("customer B updating orders: %s, want denied", outcome(err))
		}
	})
}

// TestEdgesFollowTheRules: rows reached through an edge (a query from a
// row, or eager loading) are filtered by their own type's rules.
func TestEdgesFollowTheRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		c := db.Client
		anon := as(f, viewer.Viewer{})
		b := as(f, viewer.Viewer{CustomerID: f.custB, Role: viewer.Customer})
		staff := as(f, viewer.Viewer{CustomerID: f.staff, Role: viewer.Staff})

		// A category's products: ACTIVE ones for shoppers, all for staff.
		got := c.Category.Query().QueryProducts().IDsX(anon)
		if !slices.Equal(got, []int{f.active}) {
			t.Errorf("anonymous: category products %v, want [%d]", got, f.active)
		}
		cat := c.Category.Query().WithProducts().OnlyX(staff)
		if len(cat.Edges.Products) != 3 {
			t.Errorf("staff: category loaded with %d products, want 3", len(cat.Edges.Products))
		}
		// Variants through products: a shopper reaches only ACTIVE ones'.
		vs := c.Product.Query().QueryVariants().IDsX(anon)
		slices.Sort(vs)
		want := []int{f.vActive, f.spare}
		slices.Sort(want)
		if !slices.Equal(vs, want) {
			t.Errorf("anonymous: variants %v, want %v", vs, want)
		}
		// Stock levels of a visible variant stay hidden.
		if n := c.ProductVariant.Query().QueryStockLevels().CountX(anon); n != 0 {
			t.Errorf("anonymous: %d stock levels through variants", n)
		}
		// Customer B, loading the named guest cart with its lines, gets
		// the lines; A's order's lines stay out of reach even by order_id.
		gc := c.Cart.Query().Where(cart.ID(f.guestNamed)).WithLines().OnlyX(b)
		if len(gc.Edges.Lines) != 1 || gc.Edges.Lines[0].ID != f.lineNamed {
			t.Errorf("customer B: named guest cart's lines %v", gc.Edges.Lines)
		}
		if n := c.OrderLine.Query().Where(orderline.OrderID(f.orderA)).CountX(b); n != 0 {
			t.Errorf("customer B: %d lines of customer A's order", n)
		}
		// Staff reading customer A's addresses and orders get them.
		if n := c.Customer.Query().Where(customer.ID(f.custA)).QueryAddresses().CountX(staff); n != 1 {
			t.Errorf("staff: customer A has %d addresses, want 1", n)
		}
		if n := c.Customer.Query().Where(customer.ID(f.custA)).QueryOrders().CountX(staff); n != 1 {
			t.Errorf("staff: customer A has %d orders, want 1", n)
		}
		// Sessions through a customer are refused even to staff.
		if _, err := c.Customer.Query().Where(customer.ID(f.custA)).QuerySessions().All(staff); !errors.Is(err, privacy.Deny) {
			t.Errorf("staff: customer A's sessions: %s, want denied", outcome(err))
		}
	})
}

// TestKnownIDs: a guest cart or order shows only to an operation that named
// it, through any context derived from the operation's, and naming is by
// table.
func TestKnownIDs(t *testing.T) {
	t.Run("Know without WithKnownIDs panics", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		access.Know(context.Background(), cart.Table, 1)
	})
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		sys := access.System(context.Background())
		c := db.Client
		visible := func(ctx context.Context, id int) bool {
			ok, err := c.Cart.Query().Where(cart.ID(id)).Exist(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}

		// No set at all: no guest cart shows; nothing panics.
		if visible(context.Background(), f.guestNamed) {
			t.Fatal("a guest cart shows without a set of named IDs")
		}
		// An operation that named one guest cart lists that one alone.
		op := access.WithKnownIDs(context.Background())
		if visible(op, f.guestNamed) {
			t.Fatal("a guest cart shows before it was named")
		}
		access.Know(op, cart.Table, f.guestNamed)
		if ids := c.Cart.Query().IDsX(op); !slices.Equal(ids, []int{f.guestNamed}) {
			t.Fatalf("listing carts after naming one: %v, want [%d]", ids, f.guestNamed)
		}
		// The set is shared: WithKnownIDs on a derived context keeps it,
		// and what a field below records shows to the whole operation.
		type key struct{}
		below := access.WithKnownIDs(context.WithValue(op, key{}, "field"))
		access.Know(below, cart.Table, f.guestCart)
		if !visible(op, f.guestCart) || !visible(below, f.guestNamed) {
			t.Fatal("IDs named below a field do not show to the operation, or the other way")
		}
		// Another operation has its own set.
		if other := access.WithKnownIDs(context.Background()); visible(other, f.guestNamed) || visible(other, f.guestCart) {
			t.Fatal("a new operation sees the guest carts another one named")
		}
		// Naming a customer's cart does not show it to others.
		access.Know(op, cart.Table, f.cartA)
		if visible(op, f.cartA) {
			t.Fatal("naming customer A's cart shows it to an anonymous viewer")
		}
		b := viewer.NewContext(op, viewer.Viewer{CustomerID: f.custB, Role: viewer.Customer})
		if visible(b, f.cartA) {
			t.Fatal("naming customer A's cart shows it to customer B")
		}
		// Names are per table: a cart's ID does not show a guest order with
		// the same ID.
		twin := c.Order.Create().SetID(f.guestNamed).SetNumber("SF-TWIN-TWIN").SetCartID(f.guestNamed).
			SetEmail("g@example.com").SetCurrencyCode("USD").SetSubtotal(1).SetTotal(1).
			SetShippingAddress(mailing).SaveX(sys)
		if ok := c.Order.Query().Where(order.ID(twin.ID)).ExistX(op); ok {
			t.Fatal("naming a cart shows the guest order with the same ID")
		}
		access.Know(op, order.Table, twin.ID)
		if ok := c.Order.Query().Where(order.ID(twin.ID)).ExistX(op); !ok {
			t.Fatal("a named guest order does not show")
		}
		// The exported predicates say the same as the rules.
		ids := c.Cart.Query().Where(access.CartVisible(op)).IDsX(sys)
		slices.Sort(ids)
		want := []int{f.guestNamed, f.guestCart}
		slices.Sort(want)
		if !slices.Equal(ids, want) {
			t.Fatalf("CartVisible(anonymous) %v, want %v", ids, want)
		}
		ids = c.Cart.Query().Where(access.CartVisible(b)).IDsX(sys)
		slices.Sort(ids)
		if !slices.Equal(ids, want) {
			t.Fatalf("CartVisible(customer B) %v, want %v", ids, want)
		}
		a := viewer.NewContext(op, viewer.Viewer{CustomerID: f.custA, Role: viewer.Customer})
		if ids := c.Order.Query().Where(access.OrderVisible(a)).IDsX(sys); len(ids) != 2 || !slices.Contains(ids, f.orderA) || !slices.Contains(ids, twin.ID) {
			t.Fatalf("OrderVisible(customer A) %v, want their order %d and the named %d", ids, f.orderA, twin.ID)
		}

		// Naming from many goroutines at once, while others read (-race).
		conc := access.WithKnownIDs(context.Background())
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				access.Know(conc, cart.Table, f.guestNamed+i)
				if _, err := c.Cart.Query().Where(access.CartVisible(conc)).IDs(sys); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if !visible(conc, f.guestNamed) {
			t.Fatal("an ID named concurrently was lost")
		}
	})
}

// TestRequireStaff: nil for staff and System contexts; otherwise
// UNAUTHENTICATED for a viewer who is not signed in (or the error of the
// token they presented), FORBIDDEN for a signed-in customer.
func TestRequireStaff(t *testing.T) {
	bg := context.Background()
	expired := commerce.Errorf(commerce.Unauthenticated, "the access token has expired")
	for _, tc := range []struct {
		name string
		ctx  context.Context
		code commerce.Code // "" for nil
		is   error         // the error itself, when set
	}{
		{"no viewer", bg, commerce.Unauthenticated, nil},
		{"anonymous", viewer.NewContext(bg, viewer.Viewer{}), commerce.Unauthenticated, nil},
		{"refused token", viewer.NewContext(bg, viewer.Viewer{TokenError: expired}), commerce.Unauthenticated, expired},
		{"customer", viewer.NewContext(bg, viewer.Viewer{CustomerID: 7, Role: viewer.Customer}), commerce.Forbidden, nil},
		{"staff role without an account", viewer.NewContext(bg, viewer.Viewer{Role: viewer.Staff}), commerce.Unauthenticated, nil},
		{"staff", viewer.NewContext(bg, viewer.Viewer{CustomerID: 7, Role: viewer.Staff}), "", nil},
		{"system", access.System(bg), "", nil},
		{"system, customer viewer", access.System(viewer.NewContext(bg, viewer.Viewer{CustomerID: 7, Role: viewer.Customer})), "", nil},
		{"a Deny decision is not System", privacy.DecisionContext(bg, privacy.Deny), commerce.Unauthenticated, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := access.RequireStaff(tc.ctx)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("RequireStaff: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("RequireStaff: nil, want %s", tc.code)
			}
			if got := commerce.ErrorCode(err); got != tc.code {
				t.Fatalf("RequireStaff: %v with code %s, want %s", err, got, tc.code)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Fatalf("RequireStaff: %v, want the token's error %v", err, tc.is)
			}
		})
	}
}

// TestOwnershipStays: no one but staff and the system changes who a cart
// belongs to (give it to another customer, or make it a guest cart), and a
// customer's default address must be one of their own.
func TestOwnershipStays(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, db *database.DB) {
		f := newFixture(t, db)
		sys := access.System(context.Background())
		c := db.Client
		a := viewer.NewContext(context.Background(), viewer.Viewer{CustomerID: f.custA, Role: viewer.Customer})
		guest := access.WithKnownIDs(context.Background())
		access.Know(guest, "carts", f.guestNamed)
		owner := func(cart int) string {
			if p := c.Cart.GetX(sys, cart).CustomerID; p != nil {
				return fmt.Sprint("customer ", *p)
			}
			return "a guest"
		}
		for _, tc := range []struct {
			name string
			ctx  context.Context
			cart int
			set  func(*ent.CartUpdateOne) *ent.CartUpdateOne
		}{
			{"customer A gives their cart to B", a, f.cartA, func(u *ent.CartUpdateOne) *ent.CartUpdateOne { return u.SetCustomerID(f.custB) }},
			{"customer A makes their cart a guest cart", a, f.cartA, func(u *ent.CartUpdateOne) *ent.CartUpdateOne { return u.ClearCustomer() }},
			{"a guest gives a named guest cart to B", guest, f.guestNamed, func(u *ent.CartUpdateOne) *ent.CartUpdateOne { return u.SetCustomerID(f.custB) }},
		} {
			before := owner(tc.cart)
			if err := tc.set(c.Cart.UpdateOneID(tc.cart)).Exec(tc.ctx); !errors.Is(err, privacy.Deny) {
				t.Errorf("%s: %s, want denied", tc.name, outcome(err))
			}
			if after := owner(tc.cart); after != before {
				t.Errorf("%s: the cart's owner changed from %s to %s", tc.name, before, after)
			}
		}
		// Other changes of the viewer's own cart still pass.
		if err := c.Cart.UpdateOneID(f.cartA).AddVersion(1).Exec(a); err != nil {
			t.Errorf("customer A changing their cart: %v", err)
		}
		staff := viewer.NewContext(context.Background(), viewer.Viewer{CustomerID: f.staff, Role: viewer.Staff})
		if err := c.Cart.UpdateOneID(f.guestCart).SetCustomerID(f.custB).Exec(staff); err != nil {
			t.Errorf("staff assigning a cart: %v", err)
		}

		b := viewer.NewContext(context.Background(), viewer.Viewer{CustomerID: f.custB, Role: viewer.Customer})
		if err := c.Customer.UpdateOneID(f.custB).SetDefaultAddressID(f.address).Exec(b); !errors.Is(err, privacy.Deny) {
			t.Errorf("customer B choosing A's address as their default: %s, want denied", outcome(err))
		}
		if got := c.Customer.GetX(sys, f.custB).DefaultAddressID; got != nil {
			t.Errorf("customer B's default address is now %d", *got)
		}
		if err := c.Customer.UpdateOneID(f.custA).SetDefaultAddressID(f.address).Exec(a); err != nil {
			t.Errorf("customer A choosing their own address: %v", err)
		}
		if got := c.Customer.GetX(sys, f.custA).DefaultAddressID; got == nil || *got != f.address {
			t.Errorf("customer A's default address: %v, want %d", got, f.address)
		}
	})
}
