package test

import (
	"math"
	"strconv"
)

func convertToInt(s string) int32 {
	parsed, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		panic(err)
	}
	// ruleid: cwe-681-go-narrowing-conversion
	return int32(parsed)
}

func convertChecked(s string) int32 {
	parsed, err := strconv.ParseInt(s, 0, 64)
	if err != nil {
		panic(err)
	}
	if parsed > math.MaxInt32 || parsed < math.MinInt32 {
		panic("out of range")
	}
	// ok: cwe-681-go-narrowing-conversion
	return int32(parsed)
}

func convertSized(s string) int32 {
	parsed, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		panic(err)
	}
	// ok: cwe-681-go-narrowing-conversion
	return int32(parsed)
}

func convertAtoi(s string) uint16 {
	value, _ := strconv.Atoi(s)
	// ruleid: cwe-681-go-narrowing-conversion
	return uint16(value)
}

func convertPlatformInt(s string) int32 {
	parsed, err := strconv.ParseInt(s, 10, 0)
	if err != nil {
		panic(err)
	}
	// ruleid: cwe-681-go-narrowing-conversion
	return int32(parsed)
}
