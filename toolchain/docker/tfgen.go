//go:build tfgen

package main

// The schema generator (`<binary> schema --out DIR`), a separate build because it links the
// bridge's code generators, which the plugin does not need.

import "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfgen"

func main() {
	tfgen.Main("docker", version, Provider())
}
