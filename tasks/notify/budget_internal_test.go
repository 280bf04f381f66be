package notify

import (
	"context"
	"testing"
	"time"
)

// TestSendContext: a send gets SendTimeout, cut so that it ends
// recordMargin before the invocation's deadline; timeForOneMore stops new
// deliveries when less than recordMargin + minSendWindow is left.
func TestSendContext(t *testing.T) {
	h := &Handler{SendTimeout: 30 * time.Second}
	tests := []struct {
		name     string
		deadline time.Duration // 0: none
		want     time.Duration // the send's time
		more     bool
	}{
		{"no deadline", 0, 30 * time.Second, true},
		{"far deadline", 60 * time.Second, 30 * time.Second, true},
		{"near deadline", 20 * time.Second, 15 * time.Second, true},
		{"just enough", recordMargin + minSendWindow + time.Second, minSendWindow + time.Second, true},
		{"too little", recordMargin + minSendWindow - time.Second, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			if got := h.timeForOneMore(ctx); got != tt.more {
				t.Fatalf("timeForOneMore = %v, want %v", got, tt.more)
			}
			if !tt.more {
				return
			}
			send, cancel := h.sendContext(ctx)
			defer cancel()
			d, ok := send.Deadline()
			if !ok {
				t.Fatal("the send has no deadline")
			}
			if got := time.Until(d); got > tt.want || got < tt.want-time.Second {
				t.Errorf("the send has %s, want about %s", got, tt.want)
			}
		})
	}
}
