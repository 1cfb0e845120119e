package main

import (
	"crypto/md5"
	"crypto/sha256"
)

func digest(data []byte) []byte {
	// ruleid: cwe-327-go-weak-crypto
	h := md5.New()
	h.Write(data)
	// ok: cwe-327-go-weak-crypto
	s := sha256.New()
	s.Write(data)
	return append(h.Sum(nil), s.Sum(nil)...)
}
