package main

import (
	"net/http"
)

func profileHandler(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	w.Header().Set("Content-Type", "text/html")
	w.Write([]byte("<h1>Profile of " + name + "</h1>"))
}

func main() {
	http.HandleFunc("GET /users/{name}", profileHandler)
	http.ListenAndServe(":8080", nil)
}
