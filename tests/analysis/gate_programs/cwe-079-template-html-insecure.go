package main

import (
	"html/template"
	"net/http"
)

var page = template.Must(template.New("page").Parse(`<html><body>{{.Message}}</body></html>`))

func greet(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	data := struct{ Message template.HTML }{
		Message: template.HTML("<b>Hello " + name + "</b>"),
	}
	page.Execute(w, data)
}
