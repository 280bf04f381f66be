// Command render prints the definition with local function ARNs and the
// default settings, for validators that need concrete values:
//
//	go run ./statemachines/render > /tmp/healthcheck.json
package main

import (
	"fmt"
	"os"

	"github.com/medic-dev/medic/statemachines"
)

func main() {
	def, err := statemachines.LocalDefault()
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	fmt.Print(def)
}
