package test

import (
	"database/sql"
	"fmt"
	"net/http"

	"github.com/jmoiron/sqlx"
	"gorm.io/gorm"
)

func DBQuery(db *sql.DB, req *http.Request) {
	category := req.URL.Query()["category"]
	query := fmt.Sprintf("SELECT * FROM items WHERE category = '%s'", category[0])
	// ruleid: cwe-089-go-built-query
	db.Query(query)
	// ok: cwe-089-go-built-query
	db.Query("SELECT * FROM items WHERE category = $1", category[0])
	// ruleid: cwe-089-go-built-query
	db.Exec("DELETE FROM items WHERE category = '" + category[0] + "'")
	// ok: cwe-089-go-built-query
	db.Exec("DELETE FROM items WHERE category = 'none'")
}

type Item struct {
	ID       int
	Category string
}

func ItemsByCategory(db *sqlx.DB, category string) []Item {
	var items []Item
	query := "SELECT id, category FROM items WHERE category = '" + category + "'"
	// ruleid: cwe-089-go-built-query
	db.Select(&items, query)
	// ok: cwe-089-go-built-query
	db.Select(&items, "SELECT id, category FROM items WHERE category = $1", category)
	var item Item
	// ruleid: cwe-089-go-built-query
	db.Get(&item, fmt.Sprintf("SELECT * FROM items WHERE id = %s", category))
	// ruleid: cwe-089-go-built-query
	db.Queryx(query)
	return items
}

func ListItems(db *gorm.DB, r *http.Request) []Item {
	var items []Item
	category := r.URL.Query().Get("category")
	// ruleid: cwe-089-go-built-query
	db.Raw("SELECT * FROM items WHERE category = '" + category + "'").Scan(&items)
	// ok: cwe-089-go-built-query
	db.Raw("SELECT * FROM items WHERE category = ?", category).Scan(&items)
	// ruleid: cwe-089-go-built-query
	db.Where(r.FormValue("filter")).Find(&items)
	// ok: cwe-089-go-built-query
	db.Where("category = ?", r.PathValue("category")).Find(&items)
	return items
}

func cacheKey(cache *Cache, id string) {
	// ok: cwe-089-go-built-query
	cache.Get("item:"+id, id)
}
