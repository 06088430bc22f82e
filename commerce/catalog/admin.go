package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"storefront/commerce"
	"storefront/commerce/money"
	"storefront/commerce/txn"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/product"
	"storefront/ent/productvariant"
	"storefront/ent/schematype"
)

// The write side of the catalogue, for staff. Who may call it is decided by
// the privacy rules of commerce/access (staff only); these functions check
// the input and keep the catalogue consistent: unique slugs and SKUs, a
// category tree without cycles, and each product's denormalised price range
// equal to its variants' prices.

// ProductInput creates or changes a product; nil fields are left alone
// (on create, Title is required).
type ProductInput struct {
	Title, Slug, Description *string
	Status                   *product.Status
	CategoryID               *int
	Images                   *[]schematype.Image
}

// Limits on catalogue input. Lengths are in characters (Unicode code
// points) unless they say bytes; slugs and SKUs are ASCII.
const (
	MaxImages  = 20
	MaxOptions = 3
	// MaxVariants is the most variants a product has; MaxChildren the
	// most direct children a category has. The API's cost model relies
	// on both.
	MaxVariants = 100
	MaxChildren = 200
	// MaxPosition bounds the position of a variant or a category (0 is
	// first).
	MaxPosition = 1_000_000
	// MaxImageSize bounds an image's width and height, in pixels (0: not
	// known).
	MaxImageSize = 100_000
	// MaxPrice bounds a price in minor units (10,000,000,000.00 in a
	// two-decimal currency), so that a cart's totals (at most MaxLines
	// lines of MaxQuantity units) stay far inside 64 bits.
	MaxPrice = 1_000_000_000_000
	// MaxProductSlug and MaxCategorySlug are the slug columns' sizes.
	MaxProductSlug  = 255
	MaxCategorySlug = 200
	maxTitle        = 255
	maxName         = 200
	maxDescription  = 20000 // bytes
	maxAltText      = 500
)

// errTaken refuses a slug or SKU that another row has.
func errTaken(field []string, what string) error {
	return &commerce.Error{Code: commerce.Taken, Message: what + " is already in use", Field: field}
}

// CreateProduct adds a product (DRAFT unless a status is given), in the
// shop's currency. Errors: Invalid, NotFound (category), TAKEN (slug).
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (*ent.Product, error) {
	if in.Title == nil {
		return nil, commerce.InvalidField([]string{"input", "title"}, "title is required")
	}
	var p *ent.Product
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		c := tx.Product.Create().SetCurrencyCode(s.Currency)
		if err := applyProduct(ctx, tx, c.Mutation(), in); err != nil {
			return err
		}
		var err error
		p, err = c.Save(ctx)
		return productWriteError(err)
	})
	return txn.Detach(ctx, p), err
}

// UpdateProduct changes a product. Errors: NotFound, Invalid, TAKEN.
func (s *Service) UpdateProduct(ctx context.Context, id int, in ProductInput) (*ent.Product, error) {
	var p *ent.Product
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		u := tx.Product.UpdateOneID(id)
		if err := applyProduct(ctx, tx, u.Mutation(), in); err != nil {
			return err
		}
		var err error
		p, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return notFound("product", "id")
		}
		return productWriteError(err)
	})
	return txn.Detach(ctx, p), err
}

func applyProduct(ctx context.Context, tx *ent.Client, m *ent.ProductMutation, in ProductInput) error {
	if in.Title != nil {
		t := strings.TrimSpace(*in.Title)
		if t == "" || utf8.RuneCountInString(t) > maxTitle {
			return commerce.InvalidField([]string{"input", "title"}, "title must be 1 to %d characters", maxTitle)
		}
		m.SetTitle(t)
		if _, created := m.Slug(); in.Slug == nil && m.Op().Is(ent.OpCreate) && !created {
			if Slugify(t) == "" {
				return commerce.InvalidField([]string{"input", "slug"}, "the title has no letters or digits to make a slug of (a-z, 0-9): give a slug")
			}
			m.SetSlug(Slugify(t))
		}
	}
	if in.Slug != nil {
		slug, err := checkSlug(*in.Slug, MaxProductSlug, []string{"input", "slug"})
		if err != nil {
			return err
		}
		m.SetSlug(slug)
	}
	if in.Description != nil {
		if len(*in.Description) > maxDescription {
			return commerce.InvalidField([]string{"input", "description"}, "description is longer than %d bytes", maxDescription)
		}
		m.SetDescription(*in.Description)
	}
	if in.Status != nil {
		if err := product.StatusValidator(*in.Status); err != nil {
			return commerce.InvalidField([]string{"input", "status"}, "unknown status %q", *in.Status)
		}
		m.SetStatus(*in.Status)
	}
	if in.CategoryID != nil {
		ok, err := tx.Category.Query().Where(category.ID(*in.CategoryID)).Exist(ctx)
		if err != nil {
			return err
		}
		if !ok {
			return notFound("category", "input", "categoryId")
		}
		m.SetCategoryID(*in.CategoryID)
	}
	if in.Images != nil {
		imgs, err := checkImages(*in.Images)
		if err != nil {
			return err
		}
		m.SetImages(imgs)
	}
	return nil
}

// CheckSlug checks a slug of at most maxLen bytes: lower-case ASCII
// letters and digits in runs joined by single hyphens. Errors: Invalid on
// field.
func checkSlug(raw string, maxLen int, field []string) (string, error) {
	slug := strings.TrimSpace(raw)
	if slug == "" || len(slug) > maxLen || Slugify(slug) != slug {
		example := Slugify(raw + " x")
		if len(example) > 40 {
			example = "spring-jacket"
		}
		return "", commerce.InvalidField(field, "a slug is 1 to %d lower-case letters, digits and single hyphens, such as %q", maxLen, example)
	}
	return slug, nil
}

func checkImages(in []schematype.Image) ([]schematype.Image, error) {
	if len(in) > MaxImages {
		return nil, commerce.InvalidField([]string{"input", "images"}, "at most %d images", MaxImages)
	}
	out := make([]schematype.Image, 0, len(in))
	for i, img := range in {
		field := []string{"input", "images", fmt.Sprint(i)}
		u, err := url.Parse(strings.TrimSpace(img.URL))
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(img.URL) > 2048 {
			return nil, commerce.InvalidField(append(field, "url"), "an image URL must be an absolute http(s) URL")
		}
		if utf8.RuneCountInString(img.AltText) > maxAltText {
			return nil, commerce.InvalidField(append(field, "altText"), "altText is at most %d characters", maxAltText)
		}
		for _, d := range []struct {
			name string
			v    int
		}{{"width", img.Width}, {"height", img.Height}} {
			if d.v < 0 || d.v > MaxImageSize {
				return nil, commerce.InvalidField(append(field, d.name), "%s must be 1 to %d pixels (or left out)", d.name, MaxImageSize)
			}
		}
		img.URL = u.String()
		out = append(out, img)
	}
	return out, nil
}

func productWriteError(err error) error {
	if ent.IsConstraintError(err) {
		return errTaken([]string{"input", "slug"}, "this slug")
	}
	return err
}

func notFound(what string, field ...string) error {
	return &commerce.Error{Code: commerce.NotFound, Message: "no such " + what, Field: field}
}

// VariantInput creates or changes a variant; nil fields are left alone (on
// create, SKU and Price are required). Prices are decimal strings in the
// shop's currency; an empty CompareAtPrice removes it.
type VariantInput struct {
	SKU, Title            *string
	Price, CompareAtPrice *string
	Options               *[]schematype.SelectedOption
	Position              *int
}

// CreateVariant adds a variant to a product and updates the product's
// price range. Errors: NotFound (product), Invalid, TAKEN (SKU).
func (s *Service) CreateVariant(ctx context.Context, productID int, in VariantInput) (*ent.ProductVariant, error) {
	if in.SKU == nil {
		return nil, commerce.InvalidField([]string{"input", "sku"}, "sku is required")
	}
	if in.Price == nil {
		return nil, commerce.InvalidField([]string{"input", "price"}, "price is required")
	}
	var v *ent.ProductVariant
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		if err := s.lockProduct(ctx, tx, productID, "input", "productId"); err != nil {
			return err
		}
		n, err := tx.ProductVariant.Query().Where(productvariant.ProductID(productID)).Count(ctx)
		if err != nil {
			return err
		}
		if n >= MaxVariants {
			return commerce.InvalidField([]string{"input", "productId"}, "a product has at most %d variants", MaxVariants)
		}
		c := tx.ProductVariant.Create().SetProductID(productID).SetCurrencyCode(s.Currency)
		if err := s.applyVariant(c.Mutation(), in, nil); err != nil {
			return err
		}
		if v, err = c.Save(ctx); err != nil {
			return variantWriteError(err)
		}
		return refreshPriceRange(ctx, tx, productID)
	})
	return txn.Detach(ctx, v), err
}

// UpdateVariant changes a variant and updates its product's price range.
// Errors: NotFound, Invalid, TAKEN (SKU).
func (s *Service) UpdateVariant(ctx context.Context, id int, in VariantInput) (*ent.ProductVariant, error) {
	var v *ent.ProductVariant
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		cur, err := tx.ProductVariant.Get(ctx, id)
		if ent.IsNotFound(err) {
			return notFound("variant", "id")
		}
		if err != nil {
			return err
		}
		u := tx.ProductVariant.UpdateOneID(id)
		if err := s.applyVariant(u.Mutation(), in, cur); err != nil {
			return err
		}
		if v, err = u.Save(ctx); err != nil {
			return variantWriteError(err)
		}
		// The variant first, then its product: the order in which stock
		// movements lock them (commerce/inventory).
		if err := s.lockProduct(ctx, tx, cur.ProductID, "id"); err != nil {
			return err
		}
		return refreshPriceRange(ctx, tx, cur.ProductID)
	})
	return txn.Detach(ctx, v), err
}

// lockProduct checks that the product exists and, on PostgreSQL, locks it so
// that concurrent variant changes recompute its price range one at a time
// (the recomputation is the next statement, so it sees every variant
// change committed before it got the lock). A variant being changed is
// locked before its product, as stock movements do.
func (s *Service) lockProduct(ctx context.Context, tx *ent.Client, id int, field ...string) error {
	q := tx.Product.Query().Where(product.ID(id))
	q.Modify(txn.LockRows)
	_, err := q.Only(ctx)
	if ent.IsNotFound(err) {
		return notFound("product", field...)
	}
	return err
}

func (s *Service) applyVariant(m *ent.ProductVariantMutation, in VariantInput, cur *ent.ProductVariant) error {
	if in.SKU != nil {
		sku := strings.TrimSpace(*in.SKU)
		if sku == "" || len(sku) > 64 {
			return commerce.InvalidField([]string{"input", "sku"}, "sku must be 1 to 64 characters")
		}
		m.SetSku(sku)
	}
	if in.Title != nil {
		if utf8.RuneCountInString(strings.TrimSpace(*in.Title)) > maxTitle {
			return commerce.InvalidField([]string{"input", "title"}, "title is longer than %d characters", maxTitle)
		}
		m.SetTitle(strings.TrimSpace(*in.Title))
	}
	price := int64(-1)
	if cur != nil {
		price = cur.Price
	}
	if in.Price != nil {
		p, err := s.parsePrice(*in.Price, "price")
		if err != nil {
			return err
		}
		price = p
		m.SetPrice(p)
	}
	switch {
	case in.CompareAtPrice != nil && strings.TrimSpace(*in.CompareAtPrice) == "":
		m.ClearCompareAtPrice()
	case in.CompareAtPrice != nil:
		c, err := s.parsePrice(*in.CompareAtPrice, "compareAtPrice")
		if err != nil {
			return err
		}
		if c <= price {
			return commerce.InvalidField([]string{"input", "compareAtPrice"}, "compareAtPrice must be above the price")
		}
		m.SetCompareAtPrice(c)
	}
	if in.Options != nil {
		if len(*in.Options) > MaxOptions {
			return commerce.InvalidField([]string{"input", "selectedOptions"}, "at most %d options", MaxOptions)
		}
		for i, o := range *in.Options {
			if strings.TrimSpace(o.Name) == "" || strings.TrimSpace(o.Value) == "" || utf8.RuneCountInString(o.Name) > 100 || utf8.RuneCountInString(o.Value) > 100 {
				return commerce.InvalidField([]string{"input", "selectedOptions", fmt.Sprint(i)}, "an option has a name and a value of 1 to 100 characters")
			}
		}
		m.SetOptions(*in.Options)
	}
	if in.Position != nil {
		if err := checkPosition(*in.Position); err != nil {
			return err
		}
		m.SetPosition(*in.Position)
	}
	return nil
}

func checkPosition(p int) error {
	if p < 0 || p > MaxPosition {
		return commerce.InvalidField([]string{"input", "position"}, "position must be between 0 and %d", MaxPosition)
	}
	return nil
}

// parsePrice reads a price of the shop's currency, at most MaxPrice minor
// units.
func (s *Service) parsePrice(raw, name string) (int64, error) {
	p, err := money.Parse(raw, s.Currency)
	if e, ok := errors.AsType[*commerce.Error](err); ok {
		e.Field = []string{"input", name}
		return p, e
	}
	if err == nil && p > MaxPrice {
		return 0, commerce.InvalidField([]string{"input", name}, "%s must be at most %s", name, money.New(MaxPrice, s.Currency).Amount())
	}
	return p, err
}

func variantWriteError(err error) error {
	if ent.IsConstraintError(err) {
		return errTaken([]string{"input", "sku"}, "this SKU")
	}
	return err
}

// refreshPriceRange sets a product's min_price and max_price from its
// variants, inside the caller's transaction.
func refreshPriceRange(ctx context.Context, tx *ent.Client, productID int) error {
	var r []struct {
		Min sql.NullInt64 `sql:"min"`
		Max sql.NullInt64 `sql:"max"`
	}
	err := tx.ProductVariant.Query().
		Where(productvariant.ProductID(productID)).
		Aggregate(ent.As(ent.Min(productvariant.FieldPrice), "min"), ent.As(ent.Max(productvariant.FieldPrice), "max")).
		Scan(ctx, &r)
	if err != nil {
		return fmt.Errorf("catalog: price range: %w", err)
	}
	var lo, hi int64
	if len(r) == 1 {
		lo, hi = r[0].Min.Int64, r[0].Max.Int64
	}
	return tx.Product.UpdateOneID(productID).SetMinPrice(lo).SetMaxPrice(hi).Exec(ctx)
}

// CategoryInput creates or changes a category; nil fields are left alone
// (on create, Name is required). ParentID 0 moves a category to the top.
type CategoryInput struct {
	Name, Slug, Description *string
	ParentID                *int
	Position                *int
}

// CreateCategory adds a category. Errors: Invalid, NotFound (parent), TAKEN.
func (s *Service) CreateCategory(ctx context.Context, in CategoryInput) (*ent.Category, error) {
	if in.Name == nil {
		return nil, commerce.InvalidField([]string{"input", "name"}, "name is required")
	}
	var c *ent.Category
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		if err := lockTree(ctx, tx); err != nil {
			return err
		}
		cr := tx.Category.Create()
		if err := applyCategory(ctx, tx, cr.Mutation(), 0, in); err != nil {
			return err
		}
		var err error
		c, err = cr.Save(ctx)
		return categoryWriteError(err)
	})
	return txn.Detach(ctx, c), err
}

// UpdateCategory changes a category; a category cannot move below itself.
// Errors: NotFound, Invalid, TAKEN.
func (s *Service) UpdateCategory(ctx context.Context, id int, in CategoryInput) (*ent.Category, error) {
	var c *ent.Category
	err := txn.Run(ctx, s.client, func(ctx context.Context, tx *ent.Client) error {
		if in.ParentID != nil {
			if err := lockTree(ctx, tx); err != nil {
				return err
			}
		}
		u := tx.Category.UpdateOneID(id)
		if err := applyCategory(ctx, tx, u.Mutation(), id, in); err != nil {
			return err
		}
		var err error
		c, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return notFound("category", "id")
		}
		return categoryWriteError(err)
	})
	return txn.Detach(ctx, c), err
}

func applyCategory(ctx context.Context, tx *ent.Client, m *ent.CategoryMutation, self int, in CategoryInput) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > maxName {
			return commerce.InvalidField([]string{"input", "name"}, "name must be 1 to %d characters", maxName)
		}
		m.SetName(n)
		if in.Slug == nil && m.Op().Is(ent.OpCreate) {
			slug := Slugify(n)
			if slug == "" {
				return commerce.InvalidField([]string{"input", "slug"}, "the name has no letters or digits to make a slug of (a-z, 0-9): give a slug")
			}
			if len(slug) > MaxCategorySlug {
				slug = strings.TrimRight(slug[:MaxCategorySlug], "-")
			}
			m.SetSlug(slug)
		}
	}
	if in.Slug != nil {
		slug, err := checkSlug(*in.Slug, MaxCategorySlug, []string{"input", "slug"})
		if err != nil {
			return err
		}
		m.SetSlug(slug)
	}
	if in.Description != nil {
		if len(*in.Description) > maxDescription {
			return commerce.InvalidField([]string{"input", "description"}, "description is longer than %d bytes", maxDescription)
		}
		m.SetDescription(*in.Description)
	}
	if in.Position != nil {
		if err := checkPosition(*in.Position); err != nil {
			return err
		}
		m.SetPosition(*in.Position)
	}
	if in.ParentID != nil {
		if *in.ParentID == 0 {
			m.ClearParentID()
			return nil
		}
		if err := checkRoomBelow(ctx, tx, *in.ParentID, self); err != nil {
			return err
		}
		// Walk up from the new parent: meeting self would make a cycle.
		for id, depth := *in.ParentID, 0; id != 0; depth++ {
			if id == self {
				return commerce.InvalidField([]string{"input", "parentId"}, "a category cannot be placed below itself")
			}
			c, err := tx.Category.Get(ctx, id)
			if ent.IsNotFound(err) {
				return notFound("parent category", "input", "parentId")
			}
			if err != nil {
				return err
			}
			if c.ParentID == nil || depth > 100 {
				break
			}
			id = *c.ParentID
		}
		m.SetParentID(*in.ParentID)
	}
	return nil
}

// checkRoomBelow locks the parent category (until the transaction ends, so
// that concurrent moves count each other) and refuses a category that
// would become its child number MaxChildren+1.
func checkRoomBelow(ctx context.Context, tx *ent.Client, parent, self int) error {
	q := tx.Category.Query().Where(category.ID(parent))
	q.Modify(txn.LockRows)
	if _, err := q.Only(ctx); err != nil {
		if ent.IsNotFound(err) {
			return notFound("parent category", "input", "parentId")
		}
		return err
	}
	n, err := tx.Category.Query().Where(category.ParentID(parent), category.IDNEQ(self)).Count(ctx)
	if err != nil {
		return err
	}
	if n >= MaxChildren {
		return commerce.InvalidField([]string{"input", "parentId"}, "a category has at most %d direct children", MaxChildren)
	}
	return nil
}

func categoryWriteError(err error) error {
	if ent.IsConstraintError(err) {
		return errTaken([]string{"input", "slug"}, "this slug")
	}
	return err
}
