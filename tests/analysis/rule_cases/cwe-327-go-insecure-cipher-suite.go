package main

import (
	"crypto/tls"
)

func makeTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			// ruleid: cwe-327-go-insecure-cipher-suite
			tls.TLS_RSA_WITH_RC4_128_SHA,
			// ruleid: cwe-327-go-insecure-cipher-suite
			tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
			// ok: cwe-327-go-insecure-cipher-suite
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		},
	}
}

func assigned() *tls.Config {
	config := &tls.Config{}
	// ruleid: cwe-327-go-insecure-cipher-suite
	config.CipherSuites = []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}
	return config
}

func strong() *tls.Config {
	// ok: cwe-327-go-insecure-cipher-suite
	return &tls.Config{CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}}
}

func listed() []uint16 {
	// ok: cwe-327-go-insecure-cipher-suite
	return []uint16{tls.TLS_RSA_WITH_RC4_128_SHA}
}
