package test

import (
	"strconv"
)

func convertToInt(s string) int32 {
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		return int32(v)
	}
	return 0
}
