package main

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

func main() {
	// generate a private key and print it
	pvk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(pvk)
}
