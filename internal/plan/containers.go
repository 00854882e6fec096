package plan

import (
	"crypto/sha256"
	"fmt"
	"net"
	"strconv"
)

// ContainerName is the container of one compose service of a cluster:
// <cluster>-<service>, e.g. harbor-prod-core. The cluster name keeps two
// clusters on one host apart; it is a DNS label and no service name ends in
// "-<another service name>" (TestContainerNamesAreUnambiguous), so two
// clusters never derive the same name.
func ContainerName(cluster, service string) string { return cluster + "-" + service }

// Container is the container name of one of the node's services, for the
// templates: a service the node does not run is an error, never a name
// made up on the spot.
func (n *Node) Container(service string) (string, error) {
	for _, s := range n.Services {
		if s.Name == service {
			return s.Container, nil
		}
	}
	return "", fmt.Errorf("node %s runs no service %q", n.Name, service)
}

// LogPort is the port Harbor's log container is published on, as in Harbor.
const LogPort = 1514

// syslogAddress is where the other containers of a harbor node send their
// logs: the log container's port 10514 published on LogPort of a loopback
// address of the cluster's own, so that two clusters on one host neither
// fight over 127.0.0.1:1514 nor log into each other's log container. The
// address is 127.B.C.D from the SHA-256 of the cluster name: B in 1..254
// keeps clear of 127.0.0.0/16 (127.0.0.1, and loopback test nodes), D in
// 1..254 of the .0 and .255 ends. Linux routes all of 127.0.0.0/8 to lo.
func syslogAddress(cluster string) string {
	sum := sha256.Sum256([]byte("harborgen syslog " + cluster))
	ip := net.IPv4(127, 1+sum[0]%254, sum[1], 1+sum[2]%254)
	return net.JoinHostPort(ip.String(), strconv.Itoa(LogPort))
}
