// Added at build time to the Python language host of Pulumi v3.79.0 (the newest one the module
// proxy serves; see scripts/toolchain.sh). CLI v3.259 starts a Python policy pack through the
// host's RunPlugin and no longer fills the deprecated `program` field: it sends `info` (a
// ProgramInfo) instead, which v3.79's generated types do not know. Without this, the old host
// runs `python ""` in the project folder, i.e. the project's __main__.py instead of the pack
// ("policy pack ... failed to start"). The field numbers come from sdk v3.259.0's language.pb.go.
package main

import (
	"google.golang.org/protobuf/encoding/protowire"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	runPluginRequestInfoField   = 5 // RunPluginRequest.info (ProgramInfo)
	programInfoProgramDirectory = 2 // ProgramInfo.program_directory
)

// programFromInfo returns the plugin's program directory sent in the request's `info` field,
// read from the unknown fields of v3.79's message, or "" when there is none.
func programFromInfo(req *pulumirpc.RunPluginRequest) string {
	info := bytesField(req.ProtoReflect().GetUnknown(), runPluginRequestInfoField)
	if info == nil {
		return ""
	}
	return string(bytesField(info, programInfoProgramDirectory))
}

// bytesField returns the last length-delimited field `num` of an encoded message, or nil.
func bytesField(msg []byte, num protowire.Number) []byte {
	var found []byte
	for len(msg) > 0 {
		n, typ, tagLen := protowire.ConsumeTag(msg)
		if tagLen < 0 {
			return found
		}
		msg = msg[tagLen:]
		valLen := protowire.ConsumeFieldValue(n, typ, msg)
		if valLen < 0 {
			return found
		}
		if n == num && typ == protowire.BytesType {
			v, _ := protowire.ConsumeBytes(msg[:valLen])
			found = v
		}
		msg = msg[valLen:]
	}
	return found
}
