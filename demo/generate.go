package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"storefront/commerce/catalog"
	"strconv"
	"strings"
	"time"

	"storefront/ent/product"
	"storefront/ent/schematype"
)

// pcgStream is the second PCG word; with Options.Seed it fixes the stream.
const pcgStream = 0x73746f726566726f // "storefro"

// baseTime is the created_at of the first product; product i (0-based) is
// created i minutes later, so that sorting by CREATED_AT is meaningful.
var baseTime = time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)

// flatCategory is a category of tree with its place in it, in insertion
// order: every parent comes before its children.
type flatCategory struct {
	name, slug, description string
	parent                  int // index into the flattened list, -1 for a root
	position                int // among its siblings, from 0
	depth                   int
	leaf                    *leaf
}

// flatten lists tree breadth first, so that categories can be inserted one
// level at a time with their parents' IDs known.
func flatten(roots []node) ([]flatCategory, error) {
	type item struct {
		n        node
		parent   int
		position int
		depth    int
	}
	var out []flatCategory
	queue := make([]item, 0, len(roots))
	for i, n := range roots {
		queue = append(queue, item{n: n, parent: -1, position: i})
	}
	seen := make(map[string]bool)
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		slug := catalog.Slugify(it.n.name)
		if seen[slug] {
			return nil, fmt.Errorf("demo: duplicate category slug %q", slug)
		}
		seen[slug] = true
		if (it.n.leaf == nil) == (len(it.n.children) == 0) {
			return nil, fmt.Errorf("demo: category %q must have either children or product data", it.n.name)
		}
		idx := len(out)
		out = append(out, flatCategory{
			name:        it.n.name,
			slug:        slug,
			description: it.n.description,
			parent:      it.parent,
			position:    it.position,
			depth:       it.depth,
			leaf:        it.n.leaf,
		})
		for i, c := range it.n.children {
			queue = append(queue, item{n: c, parent: idx, position: i, depth: it.depth + 1})
		}
	}
	return out, nil
}

// genProduct is a product to insert, with its variants.
type genProduct struct {
	number      int // 1-based; part of the slug and the SKUs
	title       string
	slug        string
	description string
	images      []schematype.Image
	status      product.Status
	category    int // index into the flattened categories
	createdAt   time.Time
	variants    []genVariant
	minPrice    int64
	maxPrice    int64
}

// genVariant is a variant to insert, with its stock per warehouse.
type genVariant struct {
	sku            string
	title          string
	options        []schematype.SelectedOption
	price          int64
	compareAtPrice *int64
	onHand         [len(warehouses)]int
}

// generator makes the products one after the other from a single random
// stream, so the catalogue depends only on the seed and the product count,
// never on batch sizes.
type generator struct {
	rng    *rand.Rand
	total  int
	cats   []flatCategory
	leaves []int // indices into cats of the leaf categories
	// next is the variant count owed to the next product: products come in
	// pairs whose counts add up to six, so the average is exactly three.
	next int
}

func newGenerator(seed uint64, total int, cats []flatCategory) *generator {
	g := &generator{
		rng:   rand.New(rand.NewPCG(seed, pcgStream)),
		total: total,
		cats:  cats,
	}
	for i, c := range cats {
		if c.leaf != nil {
			g.leaves = append(g.leaves, i)
		}
	}
	return g
}

// pick returns a random element of list.
func pick[T any](r *rand.Rand, list []T) T {
	return list[r.IntN(len(list))]
}

// variantCount returns the number of variants of product i (0-based): 1 to
// 5, in pairs that add up to 6, and 3 for a final unpaired product.
func (g *generator) variantCount(i int) int {
	switch {
	case i%2 == 1:
		return g.next
	case i == g.total-1:
		return 3
	default:
		k := 1 + g.rng.IntN(5)
		g.next = 6 - k
		return k
	}
}

// product generates product i (0-based). Products must be generated in order.
func (g *generator) product(i int) genProduct {
	r := g.rng
	number := i + 1
	catIdx := pick(r, g.leaves)
	l := g.cats[catIdx].leaf

	// Title: "[prefix] adjective feature noun [suffix]".
	words := make([]string, 0, 5)
	if r.IntN(6) == 0 {
		words = append(words, pick(r, prefixes))
	}
	words = append(words, pick(r, l.adjectives), pick(r, l.features), pick(r, l.nouns))
	if s := pick(r, l.suffixes); s != "" {
		words = append(words, s)
	}
	title := strings.Join(words, " ")
	slug := catalog.Slugify(title) + "-" + strconv.Itoa(number)

	a := r.IntN(len(l.highlights))
	b := r.IntN(len(l.highlights) - 1)
	if b >= a {
		b++
	}
	description := l.highlights[a] + ". " + l.highlights[b] + ". " + pick(r, closings)

	views := []string{"", "detail view", "in use"}
	images := make([]schematype.Image, 1+r.IntN(3))
	for n := range images {
		alt := title
		if n > 0 {
			alt += ", " + views[n]
		}
		images[n] = schematype.Image{
			URL:     fmt.Sprintf("https://picsum.photos/seed/%s-%d/800/800", slug, n+1),
			AltText: alt,
			Width:   800,
			Height:  800,
		}
	}

	status := product.StatusACTIVE
	switch s := r.IntN(100); {
	case s < 2:
		status = product.StatusDRAFT
	case s < 3:
		status = product.StatusARCHIVED
	}

	p := genProduct{
		number:      number,
		title:       title,
		slug:        slug,
		description: description,
		images:      images,
		status:      status,
		category:    catIdx,
		createdAt:   baseTime.Add(time.Duration(i) * time.Minute),
	}
	p.variants = g.variants(l, number, g.variantCount(i))
	p.minPrice, p.maxPrice = p.variants[0].price, p.variants[0].price
	for _, v := range p.variants[1:] {
		p.minPrice = min(p.minPrice, v.price)
		p.maxPrice = max(p.maxPrice, v.price)
	}
	return p
}

// variants generates count variants of a product of leaf l.
func (g *generator) variants(l *leaf, number, count int) []genVariant {
	r := g.rng
	scheme := pick(r, l.schemes)

	// The base price leaves room for the dearest option values, so that
	// every variant stays within the leaf's range. The smaller of two
	// uniform draws favours cheaper products, as real catalogues do.
	var steps int64
	combos := 1
	for _, d := range scheme {
		steps += int64(len(d.values)-1) * d.stepPct
		combos *= len(d.values)
	}
	hi := max(l.maxPrice*100/(100+steps), l.minPrice)
	span := hi - l.minPrice + 1
	base := l.minPrice + min(r.Int64N(span), r.Int64N(span))

	onSale := r.IntN(10) < 3
	markup := 110 + r.Int64N(31) // compare-at price is 10-40% above the price

	// Distinct combinations of option values, in catalogue order.
	chosen := r.Perm(combos)[:count]
	slices.Sort(chosen)

	out := make([]genVariant, count)
	for j, c := range chosen {
		pct := 100 + r.Int64N(6) // a little spread even between colours
		options := make([]schematype.SelectedOption, len(scheme))
		names := make([]string, len(scheme))
		rest := c
		for k := len(scheme) - 1; k >= 0; k-- {
			d := scheme[k]
			idx := rest % len(d.values)
			rest /= len(d.values)
			options[k] = schematype.SelectedOption{Name: d.name, Value: d.values[idx]}
			names[k] = d.values[idx]
			pct += int64(idx) * d.stepPct
		}
		price := min(max(charm(base*pct/100), l.minPrice), l.maxPrice)
		v := genVariant{
			sku:     fmt.Sprintf("SF-%06d-%02d", number, j+1),
			title:   strings.Join(names, " / "),
			options: options,
			price:   price,
		}
		if onSale {
			c := max(charm(price*markup/100), price+100)
			v.compareAtPrice = &c
		}
		// About one variant in ten is sold out everywhere; the others have
		// some stock somewhere.
		if r.IntN(10) != 0 {
			var total int
			for w := range v.onHand {
				v.onHand[w] = r.IntN(61)
				total += v.onHand[w]
			}
			if total == 0 {
				v.onHand[0] = 1 + r.IntN(60)
			}
		}
		out[j] = v
	}
	return out
}

// charm rounds cents to the .99 price point at or above them: 1234 -> 1299.
func charm(cents int64) int64 {
	return cents/100*100 + 99
}
