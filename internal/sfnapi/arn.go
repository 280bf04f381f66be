package sfnapi

import (
	"fmt"
	"regexp"
	"strings"
)

// partitionRE matches an AWS partition: aws, aws-cn, aws-us-gov, aws-iso-b.
var partitionRE = regexp.MustCompile(`^aws(-[a-z]+)*$`)

// Region and Account are what local ARNs use.
const (
	Region  = "us-east-1"
	Account = "000000000000"
)

// StateMachineArn returns the local ARN of the state machine called name.
func StateMachineArn(name string) string {
	return "arn:aws:states:" + Region + ":" + Account + ":stateMachine:" + name
}

// ExecutionArn returns the ARN of the execution called name of the state
// machine stateMachineArn, as Step Functions forms it.
func ExecutionArn(stateMachineArn, name string) string {
	prefix, smName, ok := cutResource(stateMachineArn, "stateMachine")
	if !ok {
		return ""
	}
	return prefix + "execution:" + smName + ":" + name
}

// Arn is a parsed states ARN.
type Arn struct {
	// Partition is "aws", "aws-cn", "aws-us-gov" and so on.
	Partition       string
	Region, Account string
	// Resource is "stateMachine" or "execution".
	Resource     string
	StateMachine string
	// Execution is the execution name (execution ARNs only).
	Execution string
}

// ParseArn parses a state machine or execution ARN.
func ParseArn(s string) (Arn, error) {
	parts := strings.Split(s, ":")
	if len(parts) < 7 || parts[0] != "arn" || !partitionRE.MatchString(parts[1]) || parts[2] != "states" || parts[3] == "" || parts[4] == "" {
		return Arn{}, fmt.Errorf("invalid arn %q: want arn:aws:states:REGION:ACCOUNT:stateMachine:NAME or ...:execution:MACHINE:NAME", s)
	}
	a := Arn{Partition: parts[1], Region: parts[3], Account: parts[4], Resource: parts[5], StateMachine: parts[6]}
	switch {
	case a.Resource == "stateMachine" && len(parts) == 7 && a.StateMachine != "":
	case a.Resource == "execution" && len(parts) == 8 && a.StateMachine != "" && validName(parts[7]):
		// The name is checked as StartExecution checks it: no '/', so it
		// can name no file outside a directory of executions.
		a.Execution = parts[7]
	default:
		return Arn{}, fmt.Errorf("invalid arn %q: want arn:aws:states:REGION:ACCOUNT:stateMachine:NAME or ...:execution:MACHINE:NAME", s)
	}
	return a, nil
}

// StateMachineArnOf returns the ARN of the state machine an execution ARN belongs to.
func StateMachineArnOf(executionArn string) (string, error) {
	a, err := ParseArn(executionArn)
	if err != nil {
		return "", err
	}
	if a.Resource != "execution" {
		return "", fmt.Errorf("invalid arn %q: not an execution ARN", executionArn)
	}
	return "arn:" + a.Partition + ":states:" + a.Region + ":" + a.Account + ":stateMachine:" + a.StateMachine, nil
}

func cutResource(arn, resource string) (prefix, name string, ok bool) {
	i := strings.Index(arn, ":"+resource+":")
	if i < 0 {
		return "", "", false
	}
	return arn[:i+1], arn[i+len(resource)+2:], true
}

// validName reports whether s is a valid execution name: 1-80 characters,
// no whitespace, brackets, wildcards, special or control characters.
func validName(s string) bool {
	if len(s) == 0 || len([]rune(s)) > 80 {
		return false
	}
	for _, r := range s {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}
