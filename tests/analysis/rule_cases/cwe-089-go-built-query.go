package test

import (
	"database/sql"
	"fmt"
	"net/http"
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
