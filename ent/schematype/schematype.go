// Package schematype holds the small value types that ent stores as JSON
// columns. It imports nothing from the project, so that ent, the domain and
// the GraphQL layer can all use it without import cycles.
package schematype

// Image is a product picture. AltText describes it for screen readers.
type Image struct {
	URL     string `json:"url"`
	AltText string `json:"altText"`
	Width   int    `json:"width,omitempty"`
	Height  int    `json:"height,omitempty"`
}

// SelectedOption is one option value of a variant, such as Size: M.
type SelectedOption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}
