package main

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
)

const keyBits = 4096

func main() {
	pvk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		fmt.Println(err)
		return
	}
	bits := 3072
	other, _ := rsa.GenerateKey(rand.Reader, bits)
	third, _ := rsa.GenerateKey(rand.Reader, keyBits)
	fmt.Println(pvk, other, third)
}
