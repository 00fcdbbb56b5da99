//go:build !windows

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "trustcert is a Windows program (scripts/wine-test.sh runs it under Wine)")
	os.Exit(2)
}
