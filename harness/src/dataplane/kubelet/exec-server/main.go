// The exec half of a kubelet for the data-plane harness: the apiserver forwards `pods/exec`
// (from kubectl, client-go, SPDY or WebSocket; it translates WebSocket to SPDY itself) to a
// node's kubelet port, and this server runs the command inside that pod's network namespace,
// streaming stdin, stdout, stderr, a terminal and the exit code with Kubernetes' own streaming
// code (k8s.io/cri-streaming), as the kubelet does.
//
// It knows nothing about the API: the pod runtime (pod-runtime.ts) writes one JSON file per
// running pod into --pods-dir, naming its network namespace and each container's environment
// and working directory. A pod without a file is not running here: 404.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
	"k8s.io/cri-streaming/pkg/streaming/remotecommand"
	utilexec "k8s.io/utils/exec"
)

type container struct {
	Env        []string `json:"env"`
	WorkingDir string   `json:"workingDir"`
}

type pod struct {
	Netns      string               `json:"netns"`
	UID        string               `json:"uid"`
	Containers map[string]container `json:"containers"`
}

type executor struct{ podsDir string }

func (e *executor) lookup(namespace, name string) (*pod, error) {
	data, err := os.ReadFile(filepath.Join(e.podsDir, namespace+"_"+name+".json"))
	if err != nil {
		return nil, err
	}
	var p pod
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("pod file of %s/%s: %w", namespace, name, err)
	}
	return &p, nil
}

// ExecInContainer runs cmd in the pod's network namespace through `ip netns exec`, which also
// bind-mounts the pod's /etc/netns/<ns>/resolv.conf over /etc/resolv.conf, as a kubelet gives a
// container its cluster DNS. The container's environment (PATH included) is the command's.
func (e *executor) ExecInContainer(ctx context.Context, name string, uid string, containerName string, cmd []string,
	in io.Reader, out, errOut io.WriteCloser, tty bool, resize <-chan remotecommand.TerminalSize, timeout time.Duration) error {
	namespace, podName, _ := strings.Cut(name, "/")
	p, err := e.lookup(namespace, podName)
	if err != nil {
		return fmt.Errorf("pod %s is not running on this node: %w", name, err)
	}
	c, ok := p.Containers[containerName]
	if !ok {
		return fmt.Errorf("pod %s has no running container %q", name, containerName)
	}
	if len(cmd) == 0 {
		return errors.New("no command given")
	}
	run := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", p.Netns}, cmd...)...)
	run.Env = c.Env
	run.Dir = c.WorkingDir
	if run.Dir == "" {
		run.Dir = "/"
	}
	if tty {
		return runWithTerminal(run, in, out, resize)
	}
	if in != nil {
		run.Stdin = in
	}
	run.Stdout = out
	run.Stderr = errOut
	return exitError(run.Run())
}

func runWithTerminal(run *exec.Cmd, in io.Reader, out io.WriteCloser, resize <-chan remotecommand.TerminalSize) error {
	terminal, err := pty.Start(run)
	if err != nil {
		return err
	}
	defer terminal.Close()
	if resize != nil {
		go func() {
			for size := range resize {
				_ = pty.Setsize(terminal, &pty.Winsize{Rows: size.Height, Cols: size.Width})
			}
		}()
	}
	if in != nil {
		go func() { _, _ = io.Copy(terminal, in) }()
	}
	copied := make(chan struct{})
	go func() {
		// Reading the terminal ends with EIO once the last process holding it has exited.
		_, _ = io.Copy(out, terminal)
		close(copied)
	}()
	err = run.Wait()
	select {
	case <-copied:
	case <-time.After(2 * time.Second):
	}
	return exitError(err)
}

// exitError turns an exit status into the error type the streaming code reports as an exit code.
func exitError(err error) error {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if status, ok := exitErr.Sys().(syscall.WaitStatus); ok && status.Signaled() {
			return utilexec.CodeExitError{Err: err, Code: 128 + int(status.Signal())}
		}
		return utilexec.CodeExitError{Err: err, Code: exitErr.ExitCode()}
	}
	return err
}

func main() {
	listen := flag.String("listen", "", "address:port to serve on (the node's kubelet endpoint)")
	certFile := flag.String("tls-cert", "", "serving certificate")
	keyFile := flag.String("tls-key", "", "serving key")
	clientCA := flag.String("client-ca", "", "CA whose client certificates (the apiserver's) are accepted")
	podsDir := flag.String("pods-dir", "", "directory of <namespace>_<pod>.json files written by the pod runtime")
	flag.Parse()
	if *listen == "" || *certFile == "" || *keyFile == "" || *clientCA == "" || *podsDir == "" {
		log.Fatal("--listen, --tls-cert, --tls-key, --client-ca and --pods-dir are required")
	}
	caPEM, err := os.ReadFile(*clientCA)
	if err != nil {
		log.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		log.Fatalf("%s holds no certificate", *clientCA)
	}
	e := &executor{podsDir: *podsDir}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	serve := func(w http.ResponseWriter, r *http.Request) {
		opts, err := remotecommand.NewOptions(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		namespace, podName, containerName := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
		if _, err := e.lookup(namespace, podName); err != nil {
			http.Error(w, fmt.Sprintf("pod %s/%s is not running on this node", namespace, podName), http.StatusNotFound)
			return
		}
		log.Printf("exec %s/%s/%s: %q", namespace, podName, containerName, r.URL.Query()["command"])
		remotecommand.ServeExec(w, r, e, namespace+"/"+podName, r.PathValue("uid"), containerName, r.URL.Query()["command"], opts,
			4*time.Hour, remotecommand.DefaultStreamCreationTimeout, remotecommand.SupportedStreamingProtocols)
	}
	// The kubelet's two forms: with and without the pod's UID.
	mux.HandleFunc("/exec/{namespace}/{pod}/{container}", serve)
	mux.HandleFunc("/exec/{namespace}/{pod}/{uid}/{container}", serve)
	server := &http.Server{
		Addr:      *listen,
		Handler:   mux,
		TLSConfig: &tls.Config{ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12},
	}
	// Listening before saying so: the harness waits for this line.
	listener, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("serving exec on %s", *listen)
	log.Fatal(server.ServeTLS(listener, *certFile, *keyFile))
}
