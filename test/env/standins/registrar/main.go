// registrar: a stand-in for the node-driver-registrar CSI sidecar (the module proxy serves none of its versions).
// It learns the driver's name from GetPluginInfo and serves the kubelet's plugin Registration service on
// /registration/<driver>-reg.sock, so the kubelet registers the driver and writes its CSINode entry.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	csi "github.com/container-storage-interface/spec/lib/go/csi"
	"google.golang.org/grpc"
	registerapi "k8s.io/kubelet/pkg/apis/pluginregistration/v1"

	"open-local-operator.local/standins/internal/csiconn"
)

const version = "stand-in-v1 (open-local-operator test stand-in for node-driver-registrar)"

// registrationDir is where the pod mounts the kubelet's plugins_registry (the kubelet watches it for sockets).
const registrationDir = "/registration"

type registrationServer struct {
	registerapi.UnimplementedRegistrationServer
	driver, endpoint string
	registered       *atomic.Bool
	log              *slog.Logger
	failed           chan<- string
}

func (s *registrationServer) GetInfo(context.Context, *registerapi.InfoRequest) (*registerapi.PluginInfo, error) {
	s.log.Info("kubelet asked GetInfo", "driver", s.driver, "endpoint", s.endpoint)
	return &registerapi.PluginInfo{
		Type:              registerapi.CSIPlugin,
		Name:              s.driver,
		Endpoint:          s.endpoint,
		SupportedVersions: []string{"1.0.0"},
	}, nil
}

func (s *registrationServer) NotifyRegistrationStatus(_ context.Context, st *registerapi.RegistrationStatus) (*registerapi.RegistrationStatusResponse, error) {
	if !st.PluginRegistered {
		// As the real registrar: a failed registration ends the container, so the kubelet restarts it and retries.
		s.log.Error("kubelet failed to register the driver", "driver", s.driver, "error", st.Error)
		s.failed <- st.Error
		return &registerapi.RegistrationStatusResponse{}, nil
	}
	s.registered.Store(true)
	s.log.Info("kubelet registered the driver", "driver", s.driver)
	return &registerapi.RegistrationStatusResponse{}, nil
}

func main() {
	csiAddress := flag.String("csi-address", "/run/csi/socket", "the CSI driver's socket, as mounted in this container")
	registrationPath := flag.String("kubelet-registration-path", "", "the driver's socket path on the host, which the kubelet dials")
	httpEndpoint := flag.String("http-endpoint", "", "address of the /healthz endpoint (e.g. :9809); empty: none")
	timeout := flag.Duration("timeout", time.Second, "timeout of each call to the driver")
	verbosity := flag.Int("v", 0, "log verbosity (above 4 logs debug)")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()
	if *showVersion {
		fmt.Println(filepath.Base(os.Args[0]), version)
		return
	}
	level := slog.LevelInfo
	if *verbosity > 4 {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("component", "node-driver-registrar stand-in")
	if *registrationPath == "" {
		log.Error("--kubelet-registration-path is required: the kubelet dials the driver there")
		os.Exit(2)
	}
	if err := run(log, *csiAddress, *registrationPath, *httpEndpoint, *timeout); err != nil {
		log.Error("exiting", "error", err.Error())
		os.Exit(1)
	}
}

func run(log *slog.Logger, csiAddress, registrationPath, httpEndpoint string, timeout time.Duration) error {
	log.Info("starting", "version", version, "csiAddress", csiAddress, "kubeletRegistrationPath", registrationPath)
	var registered atomic.Bool
	if httpEndpoint != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
			if !registered.Load() {
				http.Error(w, "the kubelet has not registered the driver", http.StatusServiceUnavailable)
				return
			}
			_, _ = w.Write([]byte("ok"))
		})
		ln, err := net.Listen("tcp", httpEndpoint)
		if err != nil {
			return fmt.Errorf("--http-endpoint %s: %w", httpEndpoint, err)
		}
		go func() { _ = http.Serve(ln, mux) }()
	}

	driver, err := driverName(log, csiAddress, timeout)
	if err != nil {
		return err
	}
	socket := filepath.Join(registrationDir, driver+"-reg.sock")
	// A socket left by a previous container of this pod would make Listen fail.
	if err := os.Remove(socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing the stale registration socket %s: %w", socket, err)
	}
	ln, err := net.Listen("unix", socket)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", socket, err)
	}
	failed := make(chan string, 1)
	srv := grpc.NewServer()
	registerapi.RegisterRegistrationServer(srv, &registrationServer{driver: driver, endpoint: registrationPath, registered: &registered, log: log, failed: failed})
	go func() { _ = srv.Serve(ln) }()
	log.Info("serving the kubelet's Registration service", "socket", socket, "driver", driver)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	defer func() {
		srv.Stop()
		_ = os.Remove(socket)
	}()
	select {
	case sig := <-stop:
		log.Info("stopping", "signal", sig.String())
		return nil
	case reason := <-failed:
		return fmt.Errorf("registration failed: %s", reason)
	}
}

// driverName asks the driver's GetPluginInfo, retrying while the driver is not up yet.
func driverName(log *slog.Logger, csiAddress string, timeout time.Duration) (string, error) {
	conn, err := csiconn.Dial(csiAddress)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	client := csi.NewIdentityClient(conn)
	for attempt := 1; ; attempt++ {
		ctx, cancel := csiconn.WithTimeout(timeout)
		info, err := client.GetPluginInfo(ctx, &csi.GetPluginInfoRequest{})
		cancel()
		if err == nil {
			if info.GetName() == "" {
				return "", fmt.Errorf("the driver at %s answered GetPluginInfo with an empty name", csiAddress)
			}
			return info.GetName(), nil
		}
		if attempt == 1 || attempt%30 == 0 {
			log.Info("waiting for the driver's GetPluginInfo", "csiAddress", csiAddress, "attempt", attempt, "error", err.Error())
		}
		time.Sleep(time.Second)
	}
}
