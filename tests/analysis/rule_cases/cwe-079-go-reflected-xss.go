package test

import (
	"fmt"
	"html"
	"net/http"
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
