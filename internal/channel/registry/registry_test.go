package registry_test

import (
	"fmt"
	"strings"
	"testing"

	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/medic-dev/medic/internal/channel/discord"
	"github.com/medic-dev/medic/internal/channel/line"
	"github.com/medic-dev/medic/internal/channel/registry"
	"github.com/medic-dev/medic/internal/channel/slack"
	"github.com/medic-dev/medic/internal/channel/sns"
	"github.com/medic-dev/medic/internal/channel/webhook"
	"github.com/medic-dev/medic/internal/target"
)

func TestNew(t *testing.T) {
	deps := registry.Deps{SNS: awssns.New(awssns.Options{Region: "us-east-1"}), DefaultTopicArn: "arn:aws:sns:us-east-1:1:t"}
	tests := []struct {
		c       target.Channel
		want    string // the Sender's type
		wantErr string
	}{
		{c: target.Channel{Name: "s", Type: "slack", URLSecret: "S"}, want: fmt.Sprintf("%T", &slack.Sender{})},
		{c: target.Channel{Name: "d", Type: "discord", URLSecret: "D"}, want: fmt.Sprintf("%T", &discord.Sender{})},
		{c: target.Channel{Name: "l", Type: "line", TokenSecret: "L", To: "U1"}, want: fmt.Sprintf("%T", &line.Sender{})},
		{c: target.Channel{Name: "n", Type: "sns"}, want: fmt.Sprintf("%T", &sns.Sender{})},
		{c: target.Channel{Name: "w", Type: "webhook", URL: "https://example.com/h"}, want: fmt.Sprintf("%T", &webhook.Sender{})},
		{c: target.Channel{Name: "x", Type: "teams"}, wantErr: `channel x: unknown type "teams" (want one of discord, line, slack, sns, webhook)`},
		{c: target.Channel{Name: "s", Type: "slack"}, wantErr: "channel s: urlSecret not set"},
	}
	for _, tt := range tests {
		t.Run(tt.c.Name+"/"+tt.c.Type, func(t *testing.T) {
			s, err := registry.New(tt.c, deps)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprintf("%T", s) != tt.want {
				t.Fatalf("New = %T, %v; want %s", s, err, tt.want)
			}
		})
	}
}

func TestEveryChannelTypeIsRegistered(t *testing.T) {
	want := []string{target.ChannelDiscord, target.ChannelLINE, target.ChannelSlack, target.ChannelSNS, target.ChannelWebhook}
	if got := registry.Types(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("Types() = %v, want %v", got, want)
	}
}
