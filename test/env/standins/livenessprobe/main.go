// livenessprobe: a stand-in for the livenessprobe CSI sidecar (the module proxy serves none of its versions).
// Its /healthz calls the driver's Probe, so a liveness probe on that port restarts a driver that stopped answering.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	csi "github.com/container-storage-interface/spec/lib/go/csi"

	"open-local-operator.local/standins/internal/csiconn"
)

const version = "stand-in-v1 (open-local-operator test stand-in for livenessprobe)"

func main() {
	csiAddress := flag.String("csi-address", "/run/csi/socket", "the CSI driver's socket, as mounted in this container")
	healthPort := flag.Int("health-port", 9808, "TCP port of /healthz")
	probeTimeout := flag.Duration("probe-timeout", time.Second, "timeout of the Probe call")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(filepath.Base(os.Args[0]), version)
		return
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("component", "livenessprobe stand-in")
	conn, err := csiconn.Dial(*csiAddress)
	if err != nil {
		log.Error("exiting", "error", err.Error())
		os.Exit(1)
	}
	client := csi.NewIdentityClient(conn)
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		ctx, cancel := csiconn.WithTimeout(*probeTimeout)
		defer cancel()
		res, err := client.Probe(ctx, &csi.ProbeRequest{})
		switch {
		case err != nil:
			log.Error("the driver's Probe failed", "error", err.Error())
			http.Error(w, "Probe: "+err.Error(), http.StatusInternalServerError)
		case res.GetReady() != nil && !res.GetReady().GetValue():
			http.Error(w, "the driver says it is not ready", http.StatusInternalServerError)
		default:
			_, _ = w.Write([]byte("ok"))
		}
	})
	addr := fmt.Sprintf(":%d", *healthPort)
	log.Info("starting", "version", version, "csiAddress", *csiAddress, "healthz", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("exiting", "error", err.Error())
		os.Exit(1)
	}
}
