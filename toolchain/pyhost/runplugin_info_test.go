package main

import (
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// A request as CLI v3.259 sends it (args, then info with root and program directory), decoded
// by v3.79's types: the program directory is found in the unknown fields.
func TestProgramFromInfo(t *testing.T) {
	var info []byte
	info = protowire.AppendTag(info, 1, protowire.BytesType)
	info = protowire.AppendString(info, "/project")
	info = protowire.AppendTag(info, programInfoProgramDirectory, protowire.BytesType)
	info = protowire.AppendString(info, "/project/policies")
	info = protowire.AppendTag(info, 3, protowire.BytesType)
	info = protowire.AppendString(info, ".")
	var wire []byte
	wire = protowire.AppendTag(wire, 1, protowire.BytesType)
	wire = protowire.AppendString(wire, "/pwd")
	wire = protowire.AppendTag(wire, 3, protowire.BytesType)
	wire = protowire.AppendString(wire, "arg")
	wire = protowire.AppendTag(wire, runPluginRequestInfoField, protowire.BytesType)
	wire = protowire.AppendBytes(wire, info)

	var req pulumirpc.RunPluginRequest
	if err := proto.Unmarshal(wire, &req); err != nil {
		t.Fatal(err)
	}
	if req.Program != "" {
		t.Fatalf("v3.79 types should not know info; program = %q", req.Program)
	}
	if got := programFromInfo(&req); got != "/project/policies" {
		t.Fatalf("programFromInfo = %q, want /project/policies", got)
	}
	if got := programFromInfo(&pulumirpc.RunPluginRequest{Program: "x"}); got != "" {
		t.Fatalf("no info: got %q", got)
	}
}
