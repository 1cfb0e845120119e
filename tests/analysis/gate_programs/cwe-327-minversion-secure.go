package main

import (
	"crypto/tls"
)

func makeTLSConfig() *tls.Config {
	config := &tls.Config{}
	config.MaxVersion = tls.VersionTLS13
	config.MinVersion = tls.VersionTLS12
	return config
}
