// Command render prints the health-check definition with local function ARNs
// and the default Map concurrency, for validators that need concrete values:
//
//	go run ./statemachines/render > /tmp/healthcheck.json
package main

import (
	"fmt"
	"os"

	"github.com/medic-dev/medic/statemachines"
)

func main() {
	def, err := statemachines.Local(statemachines.DefaultMapConcurrency)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	fmt.Print(def)
}
