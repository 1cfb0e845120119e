package test

import (
	"crypto/tls"
	"net/http"
)

func doAuthReq(authReq *http.Request) *http.Response {
	config := &tls.Config{}
	// ruleid: cwe-295-go-insecure-skip-verify
	config.InsecureSkipVerify = true
	// ok: cwe-295-go-insecure-skip-verify
	config.InsecureSkipVerify = false
	tr := &http.Transport{
		// ruleid: cwe-295-go-insecure-skip-verify
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	client := &http.Client{Transport: tr}
	res, _ := client.Do(authReq)
	return res
}
