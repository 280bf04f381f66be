// Command render prints a definition with local function ARNs and the
// default settings, for validators that need concrete values:
//
//	go run ./statemachines/render > /tmp/healthcheck.json
//	go run ./statemachines/render -scale > /tmp/healthcheck-scale.json
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/medic-dev/medic/statemachines"
)

func main() {
	scale := flag.Bool("scale", false, "render the scale-mode definition (healthcheck-scale.asl.json) instead of the inline one")
	flag.Parse()
	def, err := render(*scale)
	if err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
	fmt.Print(def)
}

func render(scale bool) (string, error) {
	if scale {
		return statemachines.LocalScale(statemachines.DefaultMapConcurrency, statemachines.DefaultBatchSize, statemachines.DefaultToleratedFailurePercentage)
	}
	return statemachines.Local(statemachines.DefaultMapConcurrency)
}
