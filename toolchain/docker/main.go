//go:build !tfgen

package main

// The plugin itself. The schema is generated at build time by this same package built with
// `-tags tfgen` (tfgen.go) and embedded, so `pulumi package get-schema docker` answers with it;
// it is not committed (scripts/toolchain.d/docker.sh writes it into its build copy).

import (
	_ "embed"

	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
)

//go:embed schema.json
var schema []byte

func main() {
	tfbridge.Main("docker", version, Provider(), schema)
}
