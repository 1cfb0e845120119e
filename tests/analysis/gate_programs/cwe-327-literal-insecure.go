package server

import (
	"crypto/tls"
	"net/http"
)

func NewServer(cert tls.Certificate) *http.Server {
	return &http.Server{
		Addr: ":443",
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS11,
		},
	}
}
