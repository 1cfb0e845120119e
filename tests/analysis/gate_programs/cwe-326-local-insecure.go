package main

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

func main() {
	bits := 512
	pvk, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v\n", pvk)
}
