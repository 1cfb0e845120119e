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

// Versions written as numbers, as models write them: TLS 1.2 is 0x0303, TLS 1.0 0x0301.
func numericVersions() *tls.Config {
	config := &tls.Config{}
	// ruleid: cwe-327-go-weak-tls-version
	config.MinVersion = 0x0301
	// ruleid: cwe-327-go-weak-tls-version
	config.MinVersion = 0x0300
	// ruleid: cwe-327-go-weak-tls-version
	config.MinVersion = 12
	// ruleid: cwe-327-go-weak-tls-version
	config.MinVersion = 770
	// ok: cwe-327-go-weak-tls-version
	config.MinVersion = 0x0303
	// ok: cwe-327-go-weak-tls-version
	config.MinVersion = 0x0304
	// ok: cwe-327-go-weak-tls-version
	config.MinVersion = 771
	// ok: cwe-327-go-weak-tls-version
	config.MinVersion = 0
	return config
}

func numericLiteral() *tls.Config {
	// ruleid: cwe-327-go-weak-tls-version
	return &tls.Config{MinVersion: 0x0302}
}
