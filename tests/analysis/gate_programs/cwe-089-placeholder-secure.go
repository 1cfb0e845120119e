package test

import (
	"database/sql"
	"net/http"
)

func DBQuery(db *sql.DB, req *http.Request) {
	category := req.URL.Query()["category"]
	rows, err := db.Query("SELECT * FROM items WHERE category = ?", category[0])
	if err != nil {
		return
	}
	defer rows.Close()
}
