package test

import (
	"fmt"
	"html"
	"html/template"
	"net/http"

	"github.com/gorilla/mux"
)

func getUserName(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	username := r.Form.Get("username")
	if !isValid(username) {
		// ruleid: cwe-079-go-reflected-xss
		fmt.Fprintf(w, "%q is an invalid username", username)
		return
	}
	// ok: cwe-079-go-reflected-xss
	fmt.Fprintf(w, "Hello, %s!", html.EscapeString(username))
	// ok: cwe-079-go-reflected-xss
	fmt.Fprintf(w, "Hello!")
}

func echo(w http.ResponseWriter, r *http.Request) {
	// ruleid: cwe-079-go-reflected-xss
	w.Write([]byte("<p>" + r.FormValue("q") + "</p>"))
}

func isValid(name string) bool {
	return name != ""
}

func profile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	// ruleid: cwe-079-go-reflected-xss
	w.Write([]byte("<h1>" + name + "</h1>"))
	// ok: cwe-079-go-reflected-xss
	w.Write([]byte("<h1>" + html.EscapeString(name) + "</h1>"))
}

func article(w http.ResponseWriter, r *http.Request) {
	id := mux.Vars(r)["id"]
	// ruleid: cwe-079-go-reflected-xss
	fmt.Fprintf(w, "<p>article %s</p>", id)
}

func banner(r *http.Request) (template.HTML, template.HTML) {
	title := r.URL.Query().Get("title")
	// ok: cwe-079-go-reflected-xss
	fixed := template.HTML("<hr>")
	// ruleid: cwe-079-go-reflected-xss
	return fixed, template.HTML("<b>" + title + "</b>")
}
