"""`.proto` → C++ (and gRPC) through the system protoc: the project's one way to do it.

    hs_proto_library(
        name = "suite_proto",
        srcs = ["suite.proto"],
        deps = [":limits_proto"],   # other hs_proto_library targets imported by srcs
        grpc = False,               # True also generates the service stubs
    )

makes `name` a cc_library with the generated code, and `name + "_files"` a filegroup of
the `.proto` sources (its own and its dependencies'), which protoc needs for imports.
Imports are written from the workspace root: `import "proto/limits.proto";`.
"""

load("//bazel:copts.bzl", "GENERATED_COPTS")

def hs_proto_library(name, srcs, deps = [], grpc = False, visibility = None):
    outs = []
    for src in srcs:
        base = src[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]

    native.filegroup(
        name = name + "_files",
        srcs = srcs + [dep + "_files" for dep in deps],
        visibility = visibility,
    )

    tools = ["@system//:protoc"]
    grpc_flags = ""
    if grpc:
        tools.append("@system//:grpc_cpp_plugin")
        grpc_flags = "--grpc_out=$(GENDIR) --plugin=protoc-gen-grpc=$(location @system//:grpc_cpp_plugin) "

    native.genrule(
        name = name + "_gen",
        srcs = srcs + [name + "_files"],
        outs = outs,
        tools = tools,
        cmd = ("$(location @system//:protoc) -I. --cpp_out=$(GENDIR) " + grpc_flags +
               " ".join(["$(location {})".format(s) for s in srcs])),
        message = "protoc " + " ".join(srcs),
    )

    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        copts = GENERATED_COPTS,
        deps = deps + ["@system//:protobuf"] + (["@system//:grpcpp"] if grpc else []),
        visibility = visibility,
    )
