package test

import (
	"fmt"
	"net/http"
)

func getUserName(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	username := r.Form.Get("username")
	// respond with Hello, username if username is valid
	if !isValid(username) {
		fmt.Fprintf(w, "%q is an invalid username", username)
		return
	}
	fmt.Fprintf(w, "<h1>Hello, %s!</h1>", username)
}
