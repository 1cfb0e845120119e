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
		fmt.Fprintf(w, "%q is an invalid username", html.EscapeString(username))
		return
	}
	fmt.Fprintf(w, "<h1>Hello, %s!</h1>", html.EscapeString(username))
}
