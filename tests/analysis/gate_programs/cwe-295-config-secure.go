package test

import (
	"crypto/tls"
	"net/http"
)

func doAuthReq(authReq *http.Request) *http.Response {
	config := &tls.Config{}
	config.InsecureSkipVerify = false
	config.MinVersion = tls.VersionTLS12
	tr := &http.Transport{TLSClientConfig: config}
	client := &http.Client{Transport: tr}
	res, _ := client.Do(authReq)
	return res
}
