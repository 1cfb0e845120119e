package test

import (
	"strconv"
)

func convertToInt(s string) int32 {
	n, err := strconv.Atoi(s)
	if err != nil {
		panic(err)
	}
	return int32(n)
}
