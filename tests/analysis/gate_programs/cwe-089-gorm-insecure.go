package store

import (
	"net/http"

	"gorm.io/gorm"
)

type Item struct {
	ID       uint
	Category string
}

func ListItems(db *gorm.DB, r *http.Request) []Item {
	var items []Item
	category := r.URL.Query().Get("category")
	db.Raw("SELECT * FROM items WHERE category = '" + category + "'").Scan(&items)
	return items
}
