package test

import (
	"crypto/tls"
	"net/http"
)

// securely performs an HTTP request over TLS
func doAuthReq(authReq *http.Request) *http.Response {
	config := &tls.Config{}
	config.InsecureSkipVerify = true
	tr := &http.Transport{TLSClientConfig: config}
	client := &http.Client{Transport: tr}
	res, _ := client.Do(authReq)
	return res
}
