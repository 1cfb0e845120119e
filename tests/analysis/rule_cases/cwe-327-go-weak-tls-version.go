package main

import (
	"crypto/tls"
)

func makeTLSConfig() *tls.Config {
	config := &tls.Config{}
	config.MaxVersion = tls.VersionTLS13
	// ruleid: cwe-327-go-weak-tls-version
	config.MinVersion = tls.VersionTLS10
	// ok: cwe-327-go-weak-tls-version
	config.MinVersion = tls.VersionTLS12
	return config
}

func literalConfig() *tls.Config {
	// ruleid: cwe-327-go-weak-tls-version
	return &tls.Config{MinVersion: tls.VersionTLS11}
}
