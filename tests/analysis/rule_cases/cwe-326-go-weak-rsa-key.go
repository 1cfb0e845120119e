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

const weakBits = 1024
const strongBits = 4096

func fromConstants() {
	bits := 512
	// ruleid: cwe-326-go-weak-rsa-key
	weak, _ := rsa.GenerateKey(rand.Reader, bits)
	// ruleid: cwe-326-go-weak-rsa-key
	package_weak, _ := rsa.GenerateKey(rand.Reader, weakBits)
	// ok: cwe-326-go-weak-rsa-key
	strong, _ := rsa.GenerateKey(rand.Reader, strongBits)
	size := 3072
	// ok: cwe-326-go-weak-rsa-key
	other, _ := rsa.GenerateKey(rand.Reader, size)
	fmt.Println(weak, package_weak, strong, other)
}
