package test

import (
	"strconv"
)

func convertToInt(s string) int32 {
	parsed, err := strconv.ParseInt(s, 0, 32)
	if err != nil {
		return 0
	}
	return int32(parsed)
}
