package sfnapi_test

import (
	"testing"

	"github.com/medic-dev/medic/internal/sfnapi"
)

func TestParseArn(t *testing.T) {
	tests := []struct {
		arn     string
		want    sfnapi.Arn
		wantSM  string // StateMachineArnOf, for execution ARNs
		wantErr bool
	}{
		{arn: "arn:aws:states:us-east-1:000000000000:stateMachine:medic",
			want: sfnapi.Arn{Partition: "aws", Region: "us-east-1", Account: "000000000000", Resource: "stateMachine", StateMachine: "medic"}},
		{arn: "arn:aws:states:eu-west-1:123456789012:execution:medic:run-1",
			want:   sfnapi.Arn{Partition: "aws", Region: "eu-west-1", Account: "123456789012", Resource: "execution", StateMachine: "medic", Execution: "run-1"},
			wantSM: "arn:aws:states:eu-west-1:123456789012:stateMachine:medic"},
		{arn: "arn:aws-cn:states:cn-north-1:123456789012:execution:medic:run-1",
			want:   sfnapi.Arn{Partition: "aws-cn", Region: "cn-north-1", Account: "123456789012", Resource: "execution", StateMachine: "medic", Execution: "run-1"},
			wantSM: "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:medic"},
		{arn: "arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:medic:run-1",
			want:   sfnapi.Arn{Partition: "aws-us-gov", Region: "us-gov-west-1", Account: "123456789012", Resource: "execution", StateMachine: "medic", Execution: "run-1"},
			wantSM: "arn:aws-us-gov:states:us-gov-west-1:123456789012:stateMachine:medic"},
		{arn: "arn:aws0:states:us-east-1:1:execution:m:x", wantErr: true},
		{arn: "arn:aws-:states:us-east-1:1:stateMachine:m", wantErr: true},
		{arn: "arn:aws:lambda:us-east-1:1:function:x", wantErr: true},
		{arn: "arn:aws:states:us-east-1:1:stateMachine:m:extra", wantErr: true},
		{arn: "arn:aws:states:us-east-1:1:execution:m:", wantErr: true},
		{arn: "arn:aws:states:us-east-1:1:execution:m:../../../etc/x", wantErr: true},
		{arn: "arn:aws:states:us-east-1:1:execution:m:..\\x", wantErr: true},
		{arn: "arn:aws:states:us-east-1:1:execution:m:a b", wantErr: true},
		{arn: "arn:aws:states:::stateMachine:m", wantErr: true},
		{arn: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := sfnapi.ParseArn(tt.arn)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseArn(%q) = %+v, want an error", tt.arn, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseArn(%q) = %+v, %v, want %+v", tt.arn, got, err, tt.want)
			continue
		}
		if tt.wantSM == "" {
			continue
		}
		sm, err := sfnapi.StateMachineArnOf(tt.arn)
		if err != nil || sm != tt.wantSM {
			t.Errorf("StateMachineArnOf(%q) = %q, %v, want %q", tt.arn, sm, err, tt.wantSM)
		}
		if back := sfnapi.ExecutionArn(sm, got.Execution); back != tt.arn {
			t.Errorf("ExecutionArn(%q, %q) = %q, want %q", sm, got.Execution, back, tt.arn)
		}
	}
}
