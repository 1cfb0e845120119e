package store

import (
	"github.com/jmoiron/sqlx"
)

type Item struct {
	ID       int    `db:"id"`
	Category string `db:"category"`
}

func ItemsByCategory(db *sqlx.DB, category string) ([]Item, error) {
	var items []Item
	query := "SELECT id, category FROM items WHERE category = '" + category + "'"
	err := db.Select(&items, query)
	return items, err
}
