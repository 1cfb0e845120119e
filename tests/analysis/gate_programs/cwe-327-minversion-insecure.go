package main

import (
	"crypto/tls"
)

func makeTLSConfig() *tls.Config {
	config := &tls.Config{}
	config.MaxVersion = tls.VersionTLS13
	// set MinVersion and return the config
	config.MinVersion = tls.VersionTLS10
	return config
}
