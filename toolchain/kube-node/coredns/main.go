// Command coredns is CoreDNS with only the plugins the node's cluster DNS needs: Services'
// and pods' names from the API server. No forward (nor loop, which only guards forward): a
// name outside cluster.local gets no answer, so nothing in the node ever reaches beyond it.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The plugins' order in a server block's chain: CoreDNS' own (core/dnsserver/zdirectives.go)
// with the others left out.
func init() {
	dnsserver.Directives = []string{"ready", "health", "errors", "loadbalance", "cache", "kubernetes"}
}

func main() { coremain.Run() }
