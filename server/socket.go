package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// A Unix-domain socket for pgwire, as PostgreSQL's: clients on the same
// machine (psql without -h, pgbench -h DIR, libpq's host=/dir) connect
// through DIR/.s.PGSQL.PORT, where PORT is the TCP listener's port. A
// local socket skips the TCP/IP stack: on the benchmark VM a reply's
// write(2) cost about half as much CPU as on TCP loopback.

// socketPath is the socket's path for a TCP listener on port in dir.
func socketPath(dir string, port int) string {
	return filepath.Join(dir, fmt.Sprintf(".s.PGSQL.%d", port))
}

// listenUnix listens on dir's socket for port. A socket file left by a
// server that is gone (nothing accepts on it) is removed first; one that
// a running server accepts on is an error, as is a path that is not a
// socket.
func listenUnix(dir string, port int) (net.Listener, string, error) {
	path := socketPath(dir, port)
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, "", fmt.Errorf("%s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, "", fmt.Errorf("%s: another server is listening on it", path)
		} else if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ENOENT) {
			return nil, "", fmt.Errorf("%s: checking for a server on it: %w", path, err)
		}
		if err := os.Remove(path); err != nil {
			return nil, "", fmt.Errorf("removing the stale socket %s: %w", path, err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, "", err
	}
	// Closing the listener removes the file (net.UnixListener unlinks on
	// Close); access is PostgreSQL's default, unix_socket_permissions 0777:
	// authentication, not the file mode, decides who gets in.
	if err := os.Chmod(path, 0o777); err != nil {
		ln.Close()
		return nil, "", fmt.Errorf("chmod %s: %w", path, err)
	}
	return ln, path, nil
}
