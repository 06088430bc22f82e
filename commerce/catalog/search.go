package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"entgo.io/ent/dialect/sql"

	"storefront/commerce"
	"storefront/ent"
	"storefront/ent/category"
	"storefront/ent/predicate"
	"storefront/ent/product"
	"storefront/relay/paging"
)

// Search limits.
const (
	MaxSearchWords        = 10
	DefaultSuggestions    = 5
	MaxSuggestions        = 20
	maxSearchQueryLetters = MaxQueryLength
)

// SearchWords splits a search query into its words, checking its length;
// field is the argument path of the query for errors.
func SearchWords(query string, field ...string) ([]string, error) {
	q := strings.TrimSpace(query)
	switch {
	case q == "":
		return nil, commerce.InvalidField(field, "query is empty")
	case utf8.RuneCountInString(q) > maxSearchQueryLetters:
		return nil, commerce.InvalidField(field, "query is longer than %d characters", maxSearchQueryLetters)
	}
	words := strings.Fields(q)
	if len(words) > MaxSearchWords {
		return nil, commerce.InvalidField(field, "query has more than %d words", MaxSearchWords)
	}
	return words, nil
}

// Search returns a page of active products whose title or description holds
// every word of query; filter, sort and paging work as in Products.
func (s *Service) Search(ctx context.Context, query string, page paging.Page, filter ProductFilter, sort SortKey, reverse bool, opts ...ListOption) (*ent.ProductConnection, error) {
	words, err := SearchWords(query, "query")
	if err != nil {
		return nil, err
	}
	filter.Words = words
	return s.Products(ctx, page, filter, sort, reverse, append(opts, inSearch())...)
}

// Suggestions is what predictive search offers while a shopper types.
type Suggestions struct {
	Products   []*ent.Product
	Categories []*ent.Category
}

// Suggest returns up to limit active products whose title holds every word
// of query, those whose title starts with the query first, then by title;
// and up to limit categories whose name contains the query. It costs at most
// three statements.
func (s *Service) Suggest(ctx context.Context, query string, limit *int) (*Suggestions, error) {
	words, err := SearchWords(query, "query")
	if err != nil {
		return nil, err
	}
	n := DefaultSuggestions
	if limit != nil {
		n = *limit
	}
	if n < 1 || n > MaxSuggestions {
		return nil, commerce.InvalidField([]string{"limit"}, "limit must be between 1 and %d", MaxSuggestions)
	}
	phrase := strings.Join(words, " ")
	titleHasAll := make([]predicate.Product, 0, len(words)+1)
	titleHasAll = append(titleHasAll, product.StatusEQ(product.StatusACTIVE))
	for _, w := range words {
		titleHasAll = append(titleHasAll, product.TitleContainsFold(w))
	}
	var startsWith predicate.Product = func(s *sql.Selector) { s.Where(sql.HasPrefixFold(s.C(product.FieldTitle), phrase)) }
	out := &Suggestions{}
	first, err := s.client.Product.Query().
		Where(product.And(titleHasAll...), startsWith).
		Order(ent.Asc(product.FieldTitle), ent.Asc(product.FieldID)).
		Limit(n).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: suggestions: %w", err)
	}
	out.Products = first
	if len(first) < n {
		rest, err := s.client.Product.Query().
			Where(product.And(titleHasAll...), product.Not(startsWith)).
			Order(ent.Asc(product.FieldTitle), ent.Asc(product.FieldID)).
			Limit(n - len(first)).
			All(ctx)
		if err != nil {
			return nil, fmt.Errorf("catalog: suggestions: %w", err)
		}
		out.Products = append(out.Products, rest...)
	}
	out.Categories, err = s.client.Category.Query().
		Where(category.NameContainsFold(phrase)).
		Order(ent.Asc(category.FieldName), ent.Asc(category.FieldID)).
		Limit(n).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("catalog: suggestions: %w", err)
	}
	return out, nil
}
