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

// MailingAddress is a postal address as an order keeps it.
type MailingAddress struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Address1    string `json:"address1"`
	Address2    string `json:"address2,omitempty"`
	City        string `json:"city"`
	Province    string `json:"province,omitempty"`
	Zip         string `json:"zip,omitempty"`
	CountryCode string `json:"countryCode"`
	Phone       string `json:"phone,omitempty"`
}

// Allocation is stock taken from one warehouse for an order line.
type Allocation struct {
	WarehouseID int `json:"warehouseId"`
	Quantity    int `json:"quantity"`
}
