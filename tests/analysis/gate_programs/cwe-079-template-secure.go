package main

import (
	"html/template"
	"net/http"
)

var page = template.Must(template.New("page").Parse(`<html><body><b>Hello {{.Name}}</b></body></html>`))

func greet(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	data := struct{ Name string }{Name: name}
	page.Execute(w, data)
	banner := template.HTML("<hr>")
	_ = banner
}
