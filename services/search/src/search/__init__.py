"""search: faceted product search. `search-consumer` indexes the catalog's product, category
and price events and the inventory's stock counts into the search cluster (one document per
product); `/v1/search` answers full-text queries with filters and facet counts. It owns the
`search` database (the events it has handled) and the `search-*` indices; it publishes
nothing."""

SERVICE = "search"
INDEX = "search-products"
