package test

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

func main() {
	// ruleid: cwe-326-go-weak-rsa-key
	pvk, err := rsa.GenerateKey(rand.Reader, 1024)
	// ok: cwe-326-go-weak-rsa-key
	strong, err := rsa.GenerateKey(rand.Reader, 2048)
	fmt.Println(pvk, strong, err)
}
