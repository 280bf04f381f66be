package engine_test

import (
	"testing"
)

func TestChoiceOperators(t *testing.T) {
	input := `{"s":"abc","n":5,"f":2.5,"b":true,"z":null,"t":"2026-01-02T03:04:05Z","t2":"2026-01-03T00:00:00Z","star":"a*b","bs":"a\\b","o":{}}`
	cases := []struct {
		rule  string
		match bool
	}{
		{`"Variable":"$.s","StringEquals":"abc"`, true},
		{`"Variable":"$.s","StringEquals":"abd"`, false},
		{`"Variable":"$.n","StringEquals":"5"`, false},
		{`"Variable":"$.s","StringLessThan":"abd"`, true},
		{`"Variable":"$.s","StringGreaterThan":"abb"`, true},
		{`"Variable":"$.s","StringLessThanEquals":"abc"`, true},
		{`"Variable":"$.s","StringGreaterThanEquals":"abd"`, false},
		{`"Variable":"$.s","StringMatches":"a*"`, true},
		{`"Variable":"$.s","StringMatches":"*c"`, true},
		{`"Variable":"$.s","StringMatches":"b*"`, false},
		{`"Variable":"$.star","StringMatches":"a\\*b"`, true},
		{`"Variable":"$.s","StringMatches":"a\\*c"`, false},
		{`"Variable":"$.bs","StringMatches":"a\\\\b"`, true},
		{`"Variable":"$.n","NumericEquals":5`, true},
		{`"Variable":"$.n","NumericEquals":5.0`, true},
		{`"Variable":"$.s","NumericEquals":5`, false},
		{`"Variable":"$.f","NumericLessThan":3`, true},
		{`"Variable":"$.f","NumericGreaterThan":3`, false},
		{`"Variable":"$.n","NumericLessThanEquals":5`, true},
		{`"Variable":"$.n","NumericGreaterThanEquals":6`, false},
		{`"Variable":"$.b","BooleanEquals":true`, true},
		{`"Variable":"$.s","BooleanEquals":true`, false},
		{`"Variable":"$.t","TimestampEquals":"2026-01-02T03:04:05Z"`, true},
		{`"Variable":"$.t","TimestampLessThan":"2026-01-02T03:04:06Z"`, true},
		{`"Variable":"$.t","TimestampGreaterThan":"2026-01-02T03:04:06Z"`, false},
		{`"Variable":"$.t","TimestampLessThanEquals":"2026-01-02T03:04:05Z"`, true},
		{`"Variable":"$.t","TimestampGreaterThanEquals":"2026-01-02T03:04:05Z"`, true},
		{`"Variable":"$.s","TimestampEquals":"2026-01-02T03:04:05Z"`, false},
		{`"Variable":"$.s","StringEqualsPath":"$.s"`, true},
		{`"Variable":"$.n","NumericLessThanPath":"$.f"`, false},
		{`"Variable":"$.f","NumericLessThanEqualsPath":"$.n"`, true},
		{`"Variable":"$.b","BooleanEqualsPath":"$.b"`, true},
		{`"Variable":"$.t","TimestampLessThanPath":"$.t2"`, true},
		{`"Variable":"$.s","StringGreaterThanPath":"$.star"`, true},
		{`"Variable":"$.z","IsNull":true`, true},
		{`"Variable":"$.s","IsNull":true`, false},
		{`"Variable":"$.nope","IsPresent":false`, true},
		{`"Variable":"$.s","IsPresent":true`, true},
		{`"Variable":"$.n","IsNumeric":true`, true},
		{`"Variable":"$.s","IsString":true`, true},
		{`"Variable":"$.o","IsString":false`, true},
		{`"Variable":"$.b","IsBoolean":true`, true},
		{`"Variable":"$.t","IsTimestamp":true`, true},
		{`"Variable":"$.s","IsTimestamp":true`, false},
		{`"And":[{"Variable":"$.n","NumericEquals":5},{"Variable":"$.s","StringEquals":"abc"}]`, true},
		{`"And":[{"Variable":"$.n","NumericEquals":5},{"Variable":"$.s","StringEquals":"x"}]`, false},
		{`"Or":[{"Variable":"$.n","NumericEquals":4},{"Variable":"$.s","StringEquals":"abc"}]`, true},
		{`"Not":{"Variable":"$.n","NumericEquals":4}`, true},
		{`"Not":{"Or":[{"Variable":"$.n","NumericEquals":5}]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.rule, func(t *testing.T) {
			def := `{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{` + tc.rule + `,"Next":"Yes"}],"Default":"No"},"Yes":{"Type":"Pass","Result":"yes","End":true},"No":{"Type":"Pass","Result":"no","End":true}}}`
			want := `"no"`
			if tc.match {
				want = `"yes"`
			}
			checkRun(t, runCase{def: def, input: input, output: want})
		})
	}
}
