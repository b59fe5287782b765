"""`.proto` → C++ (and gRPC) through the system protoc: the project's one way to do it.

    hs_proto_library(
        name = "suite_proto",
        srcs = ["suite.proto"],
        deps = [":limits_proto"],   # other hs_proto_library targets imported by srcs
        grpc = False,               # True also generates the service stubs
    )

makes `name` a cc_library with the generated code, and `name + "_files"` a filegroup of
the `.proto` sources (its own and its dependencies'), which protoc needs for imports.
Imports are written from the repository root: `import "proto/limits.proto";`. That root
is the workspace when heapstorm is the main repository and `external/heapstorm` when it is
an external one, so protoc's `-I` and `--cpp_out` follow the package's repository.
"""

load("//bazel:copts.bzl", "GENERATED_COPTS")

def hs_proto_library(name, srcs, deps = [], grpc = False, visibility = None):
    """A cc_library of the C++ (and gRPC) code protoc generates from srcs.

    Args:
      name: the cc_library; NAME_files is the filegroup of the .proto sources.
      srcs: .proto files of this package.
      deps: other hs_proto_library targets that srcs import.
      grpc: True also generates the service stubs.
      visibility: of the cc_library and the filegroup.
    """
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

    # protoc's root is the package's repository: "." in the main repository, "external/NAME"
    # in an external one; the generated files go under the same path below $(GENDIR).
    repository = native.repository_name().lstrip("@")
    root = "external/" + repository if repository else "."
    out = "$(GENDIR)/" + root

    tools = ["@system//:protoc"]
    grpc_flags = ""
    if grpc:
        tools.append("@system//:grpc_cpp_plugin")
        grpc_flags = "--grpc_out={} --plugin=protoc-gen-grpc=$(location @system//:grpc_cpp_plugin) ".format(out)

    native.genrule(
        name = name + "_gen",
        srcs = srcs + [name + "_files"],
        outs = outs,
        tools = tools,
        cmd = ("$(location @system//:protoc) -I{} --cpp_out={} ".format(root, out) + grpc_flags +
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
