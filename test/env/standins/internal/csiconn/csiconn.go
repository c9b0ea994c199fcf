// Package csiconn opens the gRPC connection both stand-ins use to talk to the CSI driver's unix socket.
package csiconn

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"
)

// Dial returns a client connection to a CSI socket given as a path or a unix:// URL. The connection is lazy: the
// driver may create its socket after us (the containers of a pod start together, and a Node.js driver under load
// takes a minute), so reconnects are retried every second, not with gRPC's default backoff that grows to two
// minutes and would delay the registration by as much after the socket appears.
func Dial(address string) (*grpc.ClientConn, error) {
	path := strings.TrimPrefix(address, "unix://")
	if path == "" {
		return nil, fmt.Errorf("--csi-address is empty")
	}
	return grpc.NewClient("unix://"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(grpc.ConnectParams{
			Backoff:           backoff.Config{BaseDelay: time.Second, Multiplier: 1, MaxDelay: time.Second},
			MinConnectTimeout: time.Second,
		}))
}

// WithTimeout is a context for one call to the driver.
func WithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
