package demo

// This file holds the fixed data the seeder draws from: the category tree,
// the word lists that titles are built of, the option dimensions of the
// variants and the price range of each leaf category. Changing any of it
// changes the generated catalogue (which is fine: determinism is per
// version of this package).

// dim is one option dimension of a variant, such as Size or Color.
type dim struct {
	name   string
	values []string
	// stepPct raises the price by this many percent per position of the
	// chosen value in values (bigger storage, more pieces, larger size).
	stepPct int64
}

// The option dimensions. Each has at least five values, so that a product
// of up to five variants always finds distinct ones.
var (
	dimColor = dim{name: "Color", values: []string{
		"Black", "White", "Silver", "Blue", "Red", "Green", "Pink", "Grey",
	}}
	dimApparelColor = dim{name: "Color", values: []string{
		"Black", "White", "Navy", "Beige", "Burgundy", "Olive", "Grey", "Dusty Pink",
	}}
	dimHomeColor = dim{name: "Color", values: []string{
		"White", "Black", "Natural Wood", "Sage Green", "Cream", "Terracotta", "Charcoal",
	}}
	dimMetal = dim{name: "Color", values: []string{
		"Gold", "Silver", "Rose Gold", "Black", "Two-Tone",
	}}
	dimSize = dim{name: "Size", stepPct: 2, values: []string{
		"XS", "S", "M", "L", "XL", "XXL",
	}}
	dimShoeSize = dim{name: "Size", values: []string{
		"EU 36", "EU 37", "EU 38", "EU 39", "EU 40", "EU 41", "EU 42", "EU 43", "EU 44", "EU 45",
	}}
	dimPhoneModel = dim{name: "Model", values: []string{
		"iPhone 15", "iPhone 15 Pro", "iPhone 16", "iPhone 16 Pro Max", "Galaxy S24", "Galaxy S25 Ultra", "Pixel 9",
	}}
	dimPower = dim{name: "Power", stepPct: 25, values: []string{
		"20W", "35W", "65W", "100W", "140W",
	}}
	dimLength = dim{name: "Length", stepPct: 12, values: []string{
		"0.5m", "1m", "1.5m", "2m", "3m",
	}}
	dimStorage = dim{name: "Storage", stepPct: 40, values: []string{
		"32GB", "64GB", "128GB", "256GB", "512GB", "1TB",
	}}
	dimPack = dim{name: "Quantity", stepPct: 60, values: []string{
		"1 Pack", "2 Pack", "4 Pack", "6 Pack", "10 Pack",
	}}
	dimProductSize = dim{name: "Size", stepPct: 20, values: []string{
		"Small", "Medium", "Large", "X-Large", "Set of 4",
	}}
	dimFrameSize = dim{name: "Size", stepPct: 30, values: []string{
		"20x30cm", "30x40cm", "40x60cm", "50x70cm", "60x90cm",
	}}
	dimBedSize = dim{name: "Size", stepPct: 12, values: []string{
		"Twin", "Full", "Queen", "King", "California King",
	}}
	dimWeight = dim{name: "Weight", stepPct: 25, values: []string{
		"2kg", "4kg", "6kg", "8kg", "10kg", "12kg",
	}}
	dimBikeSize = dim{name: "Size", stepPct: 3, values: []string{
		"S", "M", "L", "XL", "XXL",
	}}
	dimTentCapacity = dim{name: "Capacity", stepPct: 25, values: []string{
		"1 Person", "2 Person", "3 Person", "4 Person", "6 Person",
	}}
	dimShade = dim{name: "Shade", values: []string{
		"01 Ivory", "02 Porcelain", "03 Sand", "04 Beige", "05 Honey", "06 Caramel", "07 Mocha",
	}}
	dimVolume = dim{name: "Volume", stepPct: 40, values: []string{
		"15ml", "30ml", "50ml", "100ml", "200ml",
	}}
	dimPlug = dim{name: "Plug", values: []string{
		"US Plug", "EU Plug", "UK Plug", "AU Plug", "JP Plug",
	}}
	dimBlockSet = dim{name: "Set", stepPct: 45, values: []string{
		"Starter (300 pcs)", "Standard (600 pcs)", "Deluxe (1000 pcs)", "Master (1500 pcs)", "Ultimate (2500 pcs)",
	}}
	dimBatteries = dim{name: "Batteries", stepPct: 15, values: []string{
		"1 Battery", "2 Batteries", "3 Batteries", "4 Batteries", "5 Batteries",
	}}
	dimPieces = dim{name: "Pieces", stepPct: 15, values: []string{
		"300 Pieces", "500 Pieces", "1000 Pieces", "1500 Pieces", "2000 Pieces",
	}}
	dimColorSet = dim{name: "Set", stepPct: 30, values: []string{
		"12 Colors", "24 Colors", "36 Colors", "48 Colors", "72 Colors",
	}}
)

// leaf describes the products of a leaf category: what their titles are made
// of, which options their variants have and what they cost.
type leaf struct {
	// A title is "[prefix] adjective feature noun [suffix]".
	adjectives, features, nouns, suffixes []string
	// highlights are sentences for the description.
	highlights []string
	// schemes are the option layouts a product may have; one is picked per
	// product. A scheme has one or two dimensions.
	schemes [][]dim
	// minPrice and maxPrice bound the variant prices, in USD cents.
	minPrice, maxPrice int64
}

// node is a category of the tree. Exactly the nodes without children carry a
// leaf.
type node struct {
	name        string
	description string
	children    []node
	leaf        *leaf
}

// tree is the demo category tree: six departments, each with three or four
// sub-categories, some of which have sub-categories of their own.
var tree = []node{
	{
		name:        "Electronics",
		description: "Gadgets, audio and accessories for every device.",
		children: []node{
			{
				name:        "Phones & Accessories",
				description: "Cases, chargers and cables for your phone.",
				children: []node{
					{
						name:        "Phone Cases",
						description: "Slim, rugged and clear cases.",
						leaf: &leaf{
							adjectives: []string{"Shockproof", "Ultra Thin", "Luxury", "Transparent", "Matte", "Rugged"},
							features:   []string{"MagSafe Compatible", "Silicone", "Leather Wallet", "Camera Protection", "Kickstand", "Liquid Glitter"},
							nouns:      []string{"Phone Case", "Back Cover", "Bumper Case", "Flip Case"},
							suffixes:   []string{"", "with Card Holder", "with Lanyard", "for Women and Men"},
							highlights: []string{
								"Raised edges protect the screen and camera lenses",
								"Precise cut-outs keep every button and port reachable",
								"Drop-tested from 2 metres",
								"Works with wireless charging",
								"Anti-yellowing material stays clear for longer",
							},
							schemes:  [][]dim{{dimPhoneModel, dimColor}, {dimPhoneModel}},
							minPrice: 199, maxPrice: 1999,
						},
					},
					{
						name:        "Chargers & Cables",
						description: "Fast chargers, power banks and cables.",
						leaf: &leaf{
							adjectives: []string{"Fast Charging", "GaN", "Braided", "Compact", "Magnetic", "Dual Port"},
							features:   []string{"USB-C PD", "Quick Charge 3.0", "Nylon", "Foldable Plug", "3-in-1", "Right Angle"},
							nouns:      []string{"Wall Charger", "Charging Cable", "Power Bank", "Car Charger", "Charging Station"},
							suffixes:   []string{"", "for iPhone and Android", "for Laptop and Tablet", "with LED Indicator"},
							highlights: []string{
								"Charges a phone to 50% in about 30 minutes",
								"Smart chip protects against overheating and over-current",
								"Tested to survive 20,000 bends",
								"Small enough to fit in a pocket",
								"Compatible with most USB-C and Lightning devices",
							},
							schemes:  [][]dim{{dimPower}, {dimLength, dimColor}, {dimLength}},
							minPrice: 299, maxPrice: 4999,
						},
					},
				},
			},
			{
				name:        "Audio",
				description: "Headphones, earbuds and speakers.",
				children: []node{
					{
						name:        "Headphones & Earbuds",
						description: "In-ear, on-ear and over-ear sound.",
						leaf: &leaf{
							adjectives: []string{"Wireless", "True Wireless", "Noise Cancelling", "Sports", "Open-Ear", "Hi-Fi"},
							features:   []string{"Bluetooth 5.3", "Bluetooth 5.4", "ANC", "Bone Conduction", "Low Latency Gaming", "Deep Bass"},
							nouns:      []string{"Earbuds", "Headphones", "Headset", "In-Ear Monitors"},
							suffixes:   []string{"", "with Charging Case", "with Microphone", "with 40H Playtime"},
							highlights: []string{
								"Up to 40 hours of playback with the charging case",
								"Active noise cancellation blocks out traffic and chatter",
								"IPX5 sweat and splash resistant",
								"Instant pairing when you open the case",
								"Touch controls for music, calls and voice assistant",
							},
							schemes:  [][]dim{{dimColor}},
							minPrice: 999, maxPrice: 19999,
						},
					},
					{
						name:        "Bluetooth Speakers",
						description: "Portable and home speakers.",
						leaf: &leaf{
							adjectives: []string{"Portable", "Waterproof", "Outdoor", "Mini", "Party", "Retro"},
							features:   []string{"Bluetooth 5.3", "360° Stereo", "RGB Light", "TWS Pairing", "Heavy Bass", "FM Radio"},
							nouns:      []string{"Speaker", "Soundbox", "Boombox", "Sound Bar"},
							suffixes:   []string{"", "with 24H Playtime", "for Home and Travel", "with TF Card Slot"},
							highlights: []string{
								"Room-filling 360° sound with deep bass",
								"IPX7 waterproof: take it to the pool or the beach",
								"Pair two speakers for true stereo",
								"Built-in microphone for hands-free calls",
								"USB-C charging with up to 24 hours of playback",
							},
							schemes:  [][]dim{{dimColor}},
							minPrice: 1499, maxPrice: 29999,
						},
					},
				},
			},
			{
				name:        "Smart Home",
				description: "Plugs, bulbs, cameras and sensors.",
				leaf: &leaf{
					adjectives: []string{"Smart", "WiFi", "Zigbee", "Voice Controlled", "Energy Saving", "Mini"},
					features:   []string{"Alexa Compatible", "1080P", "Motion Sensing", "Dimmable RGB", "Tuya App", "Matter"},
					nouns:      []string{"Plug", "LED Bulb", "Security Camera", "Door Sensor", "Light Strip", "Thermostat"},
					suffixes:   []string{"", "with Energy Monitoring", "for Google Home", "with Night Vision"},
					highlights: []string{
						"Set-up in under two minutes with the free app",
						"Works with Alexa, Google Assistant and Apple Home",
						"Schedules and scenes run even when you are away",
						"Encrypted connection, no cloud subscription needed",
						"Uses less than 1 W on standby",
					},
					schemes:  [][]dim{{dimColor}, {dimPack}},
					minPrice: 999, maxPrice: 14999,
				},
			},
			{
				name:        "Computer Accessories",
				description: "Keyboards, mice, storage and hubs.",
				leaf: &leaf{
					adjectives: []string{"Mechanical", "Ergonomic", "Wireless", "Ultra Slim", "Portable", "Gaming"},
					features:   []string{"RGB Backlit", "Hot-Swappable", "USB 3.2", "2.4G Silent", "Aluminium", "Type-C"},
					nouns:      []string{"Keyboard", "Mouse", "USB Hub", "Flash Drive", "External SSD", "Laptop Stand"},
					suffixes:   []string{"", "for Laptop and PC", "for MacBook", "with Braided Cable"},
					highlights: []string{
						"Plug and play on Windows, macOS and Linux",
						"Full-size layout in a compact frame",
						"Transfers files at up to 1,000 MB/s",
						"Sturdy aluminium body that stays cool",
						"Two-year battery life on a single AA cell",
					},
					schemes:  [][]dim{{dimColor}, {dimStorage}},
					minPrice: 599, maxPrice: 19999,
				},
			},
		},
	},
	{
		name:        "Fashion",
		description: "Clothing, shoes and accessories.",
		children: []node{
			{
				name:        "Women's Clothing",
				description: "Dresses, tops, knitwear and more.",
				leaf: &leaf{
					adjectives: []string{"Elegant", "Casual", "Vintage", "Oversized", "Floral", "Boho"},
					features:   []string{"Long Sleeve", "High Waist", "V-Neck", "Knitted", "Pleated", "Linen Blend"},
					nouns:      []string{"Midi Dress", "Blouse", "Cardigan", "Wide Leg Trousers", "Maxi Skirt", "T-Shirt"},
					suffixes:   []string{"", "for Women", "for Summer", "for Office and Party"},
					highlights: []string{
						"Soft, breathable fabric for all-day comfort",
						"Relaxed fit; order your usual size",
						"Machine washable at 30 °C",
						"Easy to dress up or down",
						"Model is 172 cm and wears size S",
					},
					schemes:  [][]dim{{dimApparelColor, dimSize}},
					minPrice: 899, maxPrice: 7999,
				},
			},
			{
				name:        "Men's Clothing",
				description: "Shirts, jackets, trousers and more.",
				leaf: &leaf{
					adjectives: []string{"Classic", "Slim Fit", "Casual", "Streetwear", "Outdoor", "Business"},
					features:   []string{"Cotton", "Quick Dry", "Hooded", "Windproof", "Cargo", "Oxford"},
					nouns:      []string{"Shirt", "Hoodie", "Jacket", "Chino Trousers", "Polo Shirt", "Joggers"},
					suffixes:   []string{"", "for Men", "for Spring and Autumn", "with Zip Pockets"},
					highlights: []string{
						"Pre-washed cotton that will not shrink",
						"Regular fit with room to move",
						"Reinforced seams for years of wear",
						"Deep pockets that keep your phone secure",
						"Machine washable",
					},
					schemes:  [][]dim{{dimApparelColor, dimSize}},
					minPrice: 999, maxPrice: 8999,
				},
			},
			{
				name:        "Shoes",
				description: "Sneakers, boots and sandals.",
				leaf: &leaf{
					adjectives: []string{"Lightweight", "Breathable", "Non-Slip", "Platform", "Classic", "Waterproof"},
					features:   []string{"Mesh Running", "Leather", "Canvas", "Memory Foam", "Chunky Sole", "Slip-On"},
					nouns:      []string{"Sneakers", "Ankle Boots", "Loafers", "Sandals", "Trail Shoes"},
					suffixes:   []string{"", "for Men and Women", "for Walking", "Unisex"},
					highlights: []string{
						"Cushioned insole absorbs every step",
						"Rubber outsole grips on wet pavements",
						"True to size; choose half a size up for thick socks",
						"Weighs just 260 g per shoe",
						"Breathable upper keeps feet cool",
					},
					schemes:  [][]dim{{dimApparelColor, dimShoeSize}, {dimShoeSize}},
					minPrice: 1999, maxPrice: 12999,
				},
			},
			{
				name:        "Jewelry & Watches",
				description: "Necklaces, rings, earrings and watches.",
				leaf: &leaf{
					adjectives: []string{"Minimalist", "Dainty", "Vintage", "Luxury", "Stackable", "Hypoallergenic"},
					features:   []string{"925 Sterling Silver", "18K Gold Plated", "Stainless Steel", "Zircon", "Freshwater Pearl", "Quartz"},
					nouns:      []string{"Necklace", "Hoop Earrings", "Ring", "Bracelet", "Wrist Watch"},
					suffixes:   []string{"", "for Women", "Gift Box Included", "for Everyday Wear"},
					highlights: []string{
						"Nickel-free and gentle on sensitive skin",
						"Tarnish-resistant finish",
						"Arrives in a gift box, ready to give",
						"Adjustable to fit most sizes",
						"Water resistant to 30 m",
					},
					schemes:  [][]dim{{dimMetal}},
					minPrice: 299, maxPrice: 9999,
				},
			},
		},
	},
	{
		name:        "Home & Garden",
		description: "Everything for the house and the garden.",
		children: []node{
			{
				name:        "Kitchen & Dining",
				description: "Cookware, storage and tableware.",
				leaf: &leaf{
					adjectives: []string{"Non-Stick", "Reusable", "Stackable", "Stainless Steel", "Airtight", "Bamboo"},
					features:   []string{"Ceramic", "BPA-Free", "Heat Resistant", "Dishwasher Safe", "Magnetic", "Collapsible"},
					nouns:      []string{"Frying Pan", "Food Storage Containers", "Knife Set", "Cutting Board", "Coffee Mugs", "Spice Rack"},
					suffixes:   []string{"", "for Kitchen", "with Lids", "for Home and Camping"},
					highlights: []string{
						"Food-safe materials, free of BPA and PFOA",
						"Dishwasher safe for easy cleaning",
						"Stacks neatly to save cupboard space",
						"Works on gas, electric and induction hobs",
						"Comfortable handles that stay cool",
					},
					schemes:  [][]dim{{dimHomeColor}, {dimProductSize}},
					minPrice: 299, maxPrice: 7999,
				},
			},
			{
				name:        "Home Decor",
				description: "Wall art, lighting and decoration.",
				leaf: &leaf{
					adjectives: []string{"Nordic", "Modern", "Boho", "Minimalist", "Rustic", "Abstract"},
					features:   []string{"Canvas", "LED", "Macrame", "Ceramic", "Rattan", "Dried Flower"},
					nouns:      []string{"Wall Art", "Table Lamp", "Vase", "Mirror", "Throw Pillow Cover", "Photo Frame"},
					suffixes:   []string{"", "for Living Room", "for Bedroom", "Home Decoration"},
					highlights: []string{
						"Adds warmth to any living room or bedroom",
						"Hand-finished, so every piece is slightly unique",
						"Mounting hardware included",
						"Fade-resistant inks and materials",
						"Packed carefully to arrive intact",
					},
					schemes:  [][]dim{{dimHomeColor}, {dimFrameSize}},
					minPrice: 399, maxPrice: 9999,
				},
			},
			{
				name:        "Bedding & Bath",
				description: "Sheets, duvets, towels and bath mats.",
				leaf: &leaf{
					adjectives: []string{"Luxury", "Soft", "Cooling", "Hotel Quality", "Quick Dry", "Organic"},
					features:   []string{"Egyptian Cotton", "Bamboo Fibre", "Microfiber", "Waffle Weave", "Linen", "Memory Foam"},
					nouns:      []string{"Duvet Cover Set", "Fitted Sheet", "Bath Towel Set", "Bath Mat", "Pillow"},
					suffixes:   []string{"", "for Bedroom", "with Pillowcases", "Easy Care"},
					highlights: []string{
						"Gets softer with every wash",
						"Breathable weave for cool nights",
						"Deep pockets fit mattresses up to 40 cm",
						"OEKO-TEX certified materials",
						"Highly absorbent and quick drying",
					},
					schemes:  [][]dim{{dimHomeColor, dimBedSize}, {dimBedSize}},
					minPrice: 1499, maxPrice: 19999,
				},
			},
			{
				name:        "Garden & Outdoor Living",
				description: "Tools, lights and planters.",
				leaf: &leaf{
					adjectives: []string{"Solar Powered", "Heavy Duty", "Weatherproof", "Self-Watering", "Foldable", "Decorative"},
					features:   []string{"LED", "Ceramic", "Stainless Steel", "Galvanised", "Bamboo", "Ergonomic"},
					nouns:      []string{"Garden Lights", "Planter", "Pruning Shears", "Garden Hose", "Bird Feeder", "Kneeler"},
					suffixes:   []string{"", "for Patio and Lawn", "for Balcony", "Outdoor"},
					highlights: []string{
						"Built to withstand rain, frost and sun",
						"Charges by day and lights up automatically at dusk",
						"Rust-resistant finish",
						"Easy to assemble, no tools needed",
						"Ideal for balconies, patios and small gardens",
					},
					schemes:  [][]dim{{dimHomeColor}, {dimPack}},
					minPrice: 299, maxPrice: 12999,
				},
			},
		},
	},
	{
		name:        "Sports & Outdoors",
		description: "Fitness, cycling and camping gear.",
		children: []node{
			{
				name:        "Fitness Equipment",
				description: "Weights, mats, bands and more.",
				leaf: &leaf{
					adjectives: []string{"Adjustable", "Non-Slip", "Heavy Duty", "Portable", "Professional", "Eco-Friendly"},
					features:   []string{"Neoprene", "TPE", "Cast Iron", "Latex", "Foam", "Quick Lock"},
					nouns:      []string{"Dumbbells", "Yoga Mat", "Resistance Bands", "Kettlebell", "Jump Rope", "Ab Roller"},
					suffixes:   []string{"", "for Home Gym", "for Men and Women", "with Carry Bag"},
					highlights: []string{
						"Grippy surface that stays put during workouts",
						"Compact enough for small apartments",
						"Suitable for beginners and pros",
						"Odour-free, eco-friendly material",
						"Exercise guide included",
					},
					schemes:  [][]dim{{dimWeight}, {dimColor}},
					minPrice: 799, maxPrice: 29999,
				},
			},
			{
				name:        "Cycling",
				description: "Bike lights, helmets, clothing and parts.",
				leaf: &leaf{
					adjectives: []string{"Rechargeable", "Aero", "Reflective", "Lightweight", "Anti-Theft", "Waterproof"},
					features:   []string{"USB-C", "Carbon Fibre", "Padded", "Smart Brake", "Quick Release", "Magnetic"},
					nouns:      []string{"Bike Light Set", "Cycling Helmet", "Cycling Jersey", "Bike Lock", "Saddle Bag", "Phone Mount"},
					suffixes:   []string{"", "for Road and MTB", "for Commuting", "with Tail Light"},
					highlights: []string{
						"Visible from 500 m, day and night",
						"Fits most road, gravel and mountain bikes",
						"Tool-free installation in seconds",
						"Weather sealed for rainy commutes",
						"Light enough that you will forget it is there",
					},
					schemes:  [][]dim{{dimColor}, {dimColor, dimBikeSize}},
					minPrice: 499, maxPrice: 19999,
				},
			},
			{
				name:        "Camping & Hiking",
				description: "Tents, backpacks and trail gear.",
				leaf: &leaf{
					adjectives: []string{"Ultralight", "Waterproof", "Instant", "Compact", "Insulated", "Portable"},
					features:   []string{"Pop-Up", "Ripstop Nylon", "Double Layer", "Self-Inflating", "Trekking", "Down"},
					nouns:      []string{"Tent", "Hiking Backpack", "Sleeping Bag", "Camping Mat", "Headlamp", "Trekking Poles"},
					suffixes:   []string{"", "for Camping and Hiking", "for Backpacking", "with Carry Bag"},
					highlights: []string{
						"Sets up in under five minutes",
						"Packs down small for the trail",
						"Taped seams keep the rain out",
						"Rated for three-season use",
						"Tough ripstop fabric resists tears",
					},
					schemes:  [][]dim{{dimTentCapacity}, {dimColor}},
					minPrice: 999, maxPrice: 29999,
				},
			},
		},
	},
	{
		name:        "Beauty & Health",
		description: "Makeup, skin care and hair care.",
		children: []node{
			{
				name:        "Makeup",
				description: "Foundation, lipstick, eyeshadow and brushes.",
				leaf: &leaf{
					adjectives: []string{"Long Lasting", "Waterproof", "Matte", "Natural", "Full Coverage", "Vegan"},
					features:   []string{"Velvet", "Lightweight", "Shimmer", "Oil Control", "Hydrating", "Smudge-Proof"},
					nouns:      []string{"Foundation", "Liquid Lipstick", "Concealer", "Eyeshadow Palette", "Setting Powder", "Mascara"},
					suffixes:   []string{"", "for All Skin Types", "Cruelty Free", "24H Wear"},
					highlights: []string{
						"Buildable coverage that still looks like skin",
						"Stays put for up to 24 hours",
						"Cruelty-free and vegan formula",
						"Dermatologically tested",
						"Blends easily with fingers, brush or sponge",
					},
					schemes:  [][]dim{{dimShade}},
					minPrice: 199, maxPrice: 3999,
				},
			},
			{
				name:        "Skin Care",
				description: "Cleansers, serums and moisturisers.",
				leaf: &leaf{
					adjectives: []string{"Hydrating", "Brightening", "Anti-Aging", "Soothing", "Gentle", "Repairing"},
					features:   []string{"Hyaluronic Acid", "Vitamin C", "Retinol", "Niacinamide", "Snail Mucin", "Centella"},
					nouns:      []string{"Face Serum", "Moisturiser", "Cleanser", "Eye Cream", "Sheet Masks", "Toner"},
					suffixes:   []string{"", "for Dry Skin", "for Sensitive Skin", "Fragrance Free"},
					highlights: []string{
						"Absorbs quickly without a sticky feel",
						"Visible results in four weeks",
						"Free of parabens and added fragrance",
						"Suitable for morning and evening routines",
						"Dermatologist tested on sensitive skin",
					},
					schemes:  [][]dim{{dimVolume}},
					minPrice: 499, maxPrice: 6999,
				},
			},
			{
				name:        "Hair Care & Styling",
				description: "Dryers, straighteners and hair accessories.",
				leaf: &leaf{
					adjectives: []string{"Professional", "Ionic", "Cordless", "Fast Drying", "Salon", "Travel"},
					features:   []string{"Ceramic", "High Speed", "Negative Ion", "Titanium", "Infrared", "2-in-1"},
					nouns:      []string{"Hair Dryer", "Hair Straightener", "Curling Iron", "Hot Air Brush", "Hair Clipper"},
					suffixes:   []string{"", "with Diffuser", "with Travel Pouch", "for All Hair Types"},
					highlights: []string{
						"Dries hair in half the time with less frizz",
						"Three heat settings and a cool shot",
						"Heats up in 30 seconds",
						"Automatic shut-off for peace of mind",
						"Dual voltage for travel",
					},
					schemes:  [][]dim{{dimColor}, {dimPlug}},
					minPrice: 999, maxPrice: 14999,
				},
			},
		},
	},
	{
		name:        "Toys & Hobbies",
		description: "Building sets, RC models, puzzles and crafts.",
		children: []node{
			{
				name:        "Building Blocks",
				description: "Brick sets and construction toys.",
				leaf: &leaf{
					adjectives: []string{"Creative", "Technical", "Classic", "Modular", "Educational", "Collectible"},
					features:   []string{"City Street", "Space Station", "Race Car", "Castle", "Botanical", "Robot"},
					nouns:      []string{"Building Blocks Set", "Brick Kit", "Model Kit", "Construction Set"},
					suffixes:   []string{"", "for Kids and Adults", "Compatible with Major Brands", "Gift Idea"},
					highlights: []string{
						"Step-by-step illustrated instructions",
						"Bricks clutch firmly and come apart easily",
						"Non-toxic ABS plastic",
						"Great for ages 8 and up",
						"Display it proudly once finished",
					},
					schemes:  [][]dim{{dimBlockSet}},
					minPrice: 999, maxPrice: 19999,
				},
			},
			{
				name:        "RC Toys & Drones",
				description: "Remote control cars, boats and drones.",
				leaf: &leaf{
					adjectives: []string{"High Speed", "Off-Road", "Foldable", "Brushless", "Mini", "4WD"},
					features:   []string{"4K Camera", "GPS", "2.4GHz", "Altitude Hold", "Amphibious", "Drift"},
					nouns:      []string{"Drone", "RC Car", "RC Boat", "Stunt Car", "Monster Truck"},
					suffixes:   []string{"", "for Kids and Adults", "with Carry Case", "with Spare Parts"},
					highlights: []string{
						"Reaches 40 km/h in seconds",
						"Up to 25 minutes of play per battery",
						"Headless mode and one-key return for beginners",
						"Durable frame survives bumps and crashes",
						"Controller range of up to 100 m",
					},
					schemes:  [][]dim{{dimBatteries}, {dimColor}},
					minPrice: 1999, maxPrice: 29999,
				},
			},
			{
				name:        "Puzzles & Board Games",
				description: "Jigsaws, board games and brain teasers.",
				leaf: &leaf{
					adjectives: []string{"Challenging", "Family", "Classic", "Wooden", "Strategy", "Cooperative"},
					features:   []string{"Landscape", "World Map", "Animal", "Mystery", "Cosmic", "Vintage Poster"},
					nouns:      []string{"Jigsaw Puzzle", "Board Game", "Card Game", "Puzzle Box", "3D Puzzle"},
					suffixes:   []string{"", "for Adults", "for Family Game Night", "with Poster"},
					highlights: []string{
						"Thick, precisely cut pieces that fit snugly",
						"Hours of screen-free fun",
						"For 2 to 6 players",
						"Made from recycled board",
						"Makes a great gift",
					},
					schemes:  [][]dim{{dimPieces}},
					minPrice: 799, maxPrice: 4999,
				},
			},
			{
				name:        "Arts & Crafts",
				description: "Paints, markers and craft kits.",
				leaf: &leaf{
					adjectives: []string{"Professional", "Vibrant", "Washable", "Non-Toxic", "Artist Grade", "Beginner"},
					features:   []string{"Acrylic", "Watercolour", "Dual Tip", "Diamond Painting", "Embroidery", "Oil Pastel"},
					nouns:      []string{"Paint Set", "Marker Pens", "Craft Kit", "Sketchbook Set", "Coloured Pencils"},
					suffixes:   []string{"", "for Kids and Adults", "with Storage Case", "for Drawing and Colouring"},
					highlights: []string{
						"Rich pigments that blend beautifully",
						"Quick drying and smudge resistant",
						"Safe, non-toxic and acid free",
						"Comes in a sturdy storage case",
						"Ideal for beginners and hobby artists",
					},
					schemes:  [][]dim{{dimColorSet}},
					minPrice: 399, maxPrice: 5999,
				},
			},
		},
	},
}

// prefixes are the title openers AliExpress sellers love.
var prefixes = []string{"2026 New", "Hot Sale", "Original", "Upgraded", "Premium"}

// closings end every description.
var closings = []string{
	"Ships within 48 hours from the nearest warehouse.",
	"Free returns within 30 days.",
	"Backed by a 12-month warranty.",
	"Arrives in recyclable packaging.",
	"Questions? Our support team answers within a day.",
}

// warehouses are the demo stock locations, by priority.
var warehouses = [...]struct {
	code, name string
}{
	{"EU-WAW", "Warsaw, Poland"},
	{"US-NJ", "New Jersey, USA"},
	{"CN-SZ", "Shenzhen, China"},
}
