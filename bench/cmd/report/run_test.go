package main

import "testing"

func TestParseBench(t *testing.T) {
	out := []byte(`goos: linux
BenchmarkEngine/targets=10-2         	       3	    480051 ns/op	         7.000 transitions/run	     14582 transitions/s	  143298 B/op	    2348 allocs/op
BenchmarkBootstrap/probe-2               	       5	  15718669 ns/op	         6.125 arm64-MiB	        15.05 ready-ms
BenchmarkX 	 1	 12 ns/op
PASS
`)
	rs := parseBench(out)
	cases := []struct {
		name, unit string
		want       float64
	}{
		{"BenchmarkEngine/targets=10", "transitions/s", 14582},
		{"BenchmarkEngine/targets=10", "transitions/run", 7},
		{"BenchmarkBootstrap/probe", "ready-ms", 15.05},
		{"BenchmarkX", "ns/op", 12},
	}
	s := section{Results: rs}
	for _, c := range cases {
		if got, ok := s.get(c.name, c.unit); !ok || got != c.want {
			t.Errorf("%s %s = %v (found %v), want %v", c.name, c.unit, got, ok, c.want)
		}
	}
	if len(rs) != 3 {
		t.Errorf("parsed %d results, want 3", len(rs))
	}
}
