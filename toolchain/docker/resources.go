package main

// The mapping from the upstream Terraform provider to the Pulumi package `docker`, written to
// give the same wire names as the pulumi-docker 5.1.0 SDK (tests/test_docker_provider_mapping.py
// compares them). Conventions follow pulumi-docker's own provider/resources.go.

import (
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	shimv2 "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfshim/sdk-v2"
	"github.com/terraform-providers/terraform-provider-docker/internal/provider"
)

// version is stamped by the build (-X main.version); it is also the plugin's version.
var version = "5.1.0"

// resource makes docker:index/<camelName>:<Name>, the token scheme of the 5.x SDK.
func resource(name string) *tfbridge.ResourceInfo {
	return &tfbridge.ResourceInfo{Tok: tfbridge.MakeResource("docker", "index", name)}
}

func dataSource(name string) *tfbridge.DataSourceInfo {
	return &tfbridge.DataSourceInfo{Tok: tfbridge.MakeDataSource("docker", "index", name)}
}

func Provider() tfbridge.ProviderInfo {
	// Only the upstream's SDKv2 half: every resource the 5.1.0 SDK exposes is there (the
	// plugin-framework half holds docker_compose and newer ones the SDK does not know).
	p := shimv2.NewProvider(provider.New(version)())

	container := resource("Container")
	// A container's name is unique on the engine: replacing one must delete the old first.
	container.DeleteBeforeReplace = true
	container.Fields = map[string]*tfbridge.SchemaInfo{
		// One command line, not several commands: the bridge would pluralise it to `commands`.
		"command": {Name: "command"},
		// A list of blocks; the SDK keeps the name (the bridge would say networksAdvanceds).
		"networks_advanced": {Name: "networksAdvanced"},
	}
	image := resource("RemoteImage") // docker_image is named RemoteImage since pulumi-docker 4
	// The image reference is never auto-named (autonaming below skips mapped fields).
	image.Fields = map[string]*tfbridge.SchemaInfo{"name": {Name: "name"}}

	resources := map[string]*tfbridge.ResourceInfo{
		"docker_container":      container,
		"docker_image":          image,
		"docker_config":         resource("ServiceConfig"),
		"docker_network":        resource("Network"),
		"docker_volume":         resource("Volume"),
		"docker_secret":         resource("Secret"),
		"docker_service":        resource("Service"),
		"docker_plugin":         resource("Plugin"),
		"docker_tag":            resource("Tag"),
		"docker_registry_image": resource("RegistryImage"),
		"docker_buildx_builder": resource("BuildxBuilder"),
	}

	info := tfbridge.ProviderInfo{
		P:           p,
		Name:        "docker",
		Version:     version,
		Description: "A Pulumi package for interacting with Docker in Pulumi programs",
		Keywords:    []string{"pulumi", "docker"},
		License:     "Apache-2.0",
		Repository:  "https://github.com/pulumi/pulumi-docker",
		Config: map[string]*tfbridge.SchemaInfo{
			// The SDK reads DOCKER_HOST itself; the same default on the provider side.
			"host": {Default: &tfbridge.DefaultInfo{EnvVars: []string{"DOCKER_HOST"}}},
			// Several blocks, but the SDK's name is singular (the bridge would say registryAuths).
			"registry_auth": {Name: "registryAuth"},
		},
		Resources: resources,
		DataSources: map[string]*tfbridge.DataSourceInfo{
			"docker_network":                  dataSource("getNetwork"),
			"docker_plugin":                   dataSource("getPlugin"),
			"docker_image":                    dataSource("getRemoteImage"),
			"docker_registry_image":           dataSource("getRegistryImage"),
			"docker_registry_image_manifests": dataSource("getRegistryImageManifests"),
			"docker_logs":                     dataSource("getLogs"),
		},
	}
	// `name` gets <resource name>-<random suffix> when the program leaves it out, as in the SDK.
	info.SetAutonaming(255, "-")
	return info
}
