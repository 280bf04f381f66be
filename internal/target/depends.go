package target

import (
	"fmt"
	"slices"
	"strings"
)

// checkDependencies checks, once every target of the file is read, what
// resolveDependsOn cannot see alone: every name in a dependsOn list must be
// a target of this file (valid or not: one skipped for a mistake is still
// its target), and the dependencies must not form a cycle. A target that
// fails either is reported (file, target, dependsOn, line) and skipped, like
// any other mistake. line maps a target to the line of its dependsOn key.
func (f *File) checkDependencies(source string, line map[string]int) {
	if len(line) == 0 {
		return
	}
	bad := map[string][]fieldErr{}
	deps := map[string][]string{}
	for _, t := range f.Targets {
		for _, d := range t.DependsOn {
			if !f.Names[d] {
				bad[t.Name] = append(bad[t.Name], fieldErrorf("dependsOn", line[t.Name],
					"%q is not a target of this file%s (a target can depend only on targets of the targets file)", d, knownTargets(f.Names)))
			}
		}
		deps[t.Name] = t.DependsOn
	}
	for _, cycle := range dependencyCycles(deps) {
		path := strings.Join(append(slices.Clone(cycle), cycle[0]), " → ")
		for _, name := range cycle {
			bad[name] = append(bad[name], fieldErrorf("dependsOn", line[name], "the dependencies form a cycle: %s", path))
		}
	}
	if len(bad) == 0 {
		return
	}
	kept := f.Targets[:0]
	for _, t := range f.Targets {
		if errs, ok := bad[t.Name]; ok {
			f.Problems = append(f.Problems, problemsFor(source, t.Name, errs)...)
			continue
		}
		kept = append(kept, t)
	}
	f.Targets = kept
}

// dependencyCycles returns each cycle of the graph deps (a target to the
// targets it depends on) once, as the targets on it in dependency order,
// starting with its smallest name. Names deps does not hold are leaves.
func dependencyCycles(deps map[string][]string) [][]string {
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	slices.Sort(names)
	const (
		unseen = iota
		onPath
		done
	)
	state := map[string]int{}
	var path []string
	seen := map[string]bool{}
	var cycles [][]string
	var visit func(n string)
	visit = func(n string) {
		state[n] = onPath
		path = append(path, n)
		for _, d := range deps[n] {
			switch state[d] {
			case unseen:
				if _, ok := deps[d]; ok {
					visit(d)
				}
			case onPath:
				i := slices.Index(path, d)
				c := slices.Clone(path[i:])
				// Start at the smallest name, so each cycle is reported once.
				m := slices.Index(c, slices.Min(c))
				c = append(c[m:], c[:m]...)
				if key := strings.Join(c, "\x00"); !seen[key] {
					seen[key] = true
					cycles = append(cycles, c)
				}
			}
		}
		path = path[:len(path)-1]
		state[n] = done
	}
	for _, n := range names {
		if state[n] == unseen {
			visit(n)
		}
	}
	return cycles
}

// knownTargets lists a few of the file's target names for an error.
func knownTargets(names map[string]bool) string {
	if len(names) == 0 {
		return ""
	}
	list := make([]string, 0, len(names))
	for n := range names {
		list = append(list, n)
	}
	slices.Sort(list)
	if len(list) > 10 {
		return fmt.Sprintf(" (its targets: %s, and %d more)", strings.Join(list[:10], ", "), len(list)-10)
	}
	return " (its targets: " + strings.Join(list, ", ") + ")"
}
