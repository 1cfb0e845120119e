package test

import (
	"database/sql"
	"fmt"
	"net/http"
)

func DBQuery(db *sql.DB, req *http.Request) {
	category := req.URL.Query()["category"]
	// select items whose category equals the requested category in the database
	query := fmt.Sprintf("SELECT * FROM items WHERE category = '%s'", category[0])
	rows, err := db.Query(query)
	if err != nil {
		return
	}
	defer rows.Close()
}
