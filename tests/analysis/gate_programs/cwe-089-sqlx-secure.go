package store

import (
	"net/http"

	"github.com/jmoiron/sqlx"
	"gorm.io/gorm"
)

type Item struct {
	ID       int    `db:"id"`
	Category string `db:"category"`
}

func ItemsByCategory(db *sqlx.DB, category string) ([]Item, error) {
	var items []Item
	err := db.Select(&items, "SELECT id, category FROM items WHERE category = $1", category)
	return items, err
}

func ListItems(db *gorm.DB, r *http.Request) []Item {
	var items []Item
	db.Raw("SELECT * FROM items WHERE category = ?", r.URL.Query().Get("category")).Scan(&items)
	return items
}
