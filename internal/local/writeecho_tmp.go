package local

import (
	"context"
	"errors"

	"github.com/medic-dev/medic/internal/store"
)

// writeEchoHandler stands in until tasks/writeecho lands.
type writeEchoHandler struct{ store *store.Store }

func (h *writeEchoHandler) Handle(ctx context.Context, in map[string]any) (map[string]any, error) {
	return nil, errors.New("writeecho is not wired yet")
}
