"""`heapstorm_test`: memory scenarios as a Bazel test target.

    load("@heapstorm//bazel:heapstorm.bzl", "heapstorm_test")

    heapstorm_test(
        name = "memory_test",
        suite = "memory.yaml",
        scripts = ["session_store.js"],   # modules the suite's script scenarios load
        baseline = "memory_baseline.json", # optional: regressions against it fail the test
        workers = 2,                       # optional: runs at once (default: one per core)
    )

`bazel test :memory_test` runs the suite in local mode under Bazel's test contract: scratch
in $TEST_TMPDIR; report.json, report.html (and the run's journal) in the test's undeclared
outputs (bazel-testlogs/PKG/memory_test/test.outputs/); JUnit in $XML_OUTPUT_FILE, one
testcase per scenario; `--test_filter=cache*` selects scenarios; a failed expectation, a
leak or a regression fails the test, and the log says which scenario, which metric and by
how much. On Bazel's timeout (SIGTERM) it writes partial reports and leaves no node behind.

`bazel run :memory_test.update_baseline` runs the suite once more and writes its report
over `baseline` in the workspace: the one step to accept an intended change.

Inside Bazel's sandbox /sys is read-only, so native limits are kept by heapstorm's RSS
watchdog; every result says so. Add `tags = ["no-sandbox"]` to use memory cgroups.

heapstorm itself is built from source by default. `--define=heapstorm=prebuilt` (on the
command line or in .bazelrc) runs an installed one instead: $HEAPSTORM_BINARY, else
`heapstorm` on PATH (see deps.bzl). The `heapstorm` attribute names any other binary.
"""

def heapstorm_test(
        name,
        suite,
        scripts = [],
        baseline = None,
        workers = None,
        size = "medium",
        tags = [],
        heapstorm = Label("//bazel:heapstorm"),
        **kwargs):
    """Runs a suite as a test target, and adds NAME.update_baseline when there is a baseline.

    Args:
      name: the test target's name.
      suite: label of the suite's YAML file.
      scripts: labels of the modules the suite's script scenarios load (paths in the suite
        are relative to the suite's file).
      baseline: optional label of a report.json; a regression against it fails the test.
      workers: optional number of runs at once (default: one per core).
      size: the test's size (default "medium").
      tags: the test's tags; "heapstorm" is added.
      heapstorm: label of the heapstorm binary (default: built from source, or installed
        with --define=heapstorm=prebuilt).
      **kwargs: passed on to the sh_test (timeout, flaky, ...).
    """
    runner = Label("//bazel:heapstorm_test_runner.sh")
    args = ["$(rootpath %s)" % heapstorm, "run", "--bazel-test", "$(rootpath %s)" % suite]
    data = [heapstorm, suite] + scripts
    if baseline:
        args += ["--baseline", "$(rootpath %s)" % baseline]
        data.append(baseline)
    if workers:
        args += ["--workers", str(workers)]
    native.sh_test(
        name = name,
        srcs = [runner],
        args = args,
        data = data,
        size = size,
        tags = tags + ["heapstorm"],
        **kwargs
    )
    if baseline:
        update_args = ["$(rootpath %s)" % heapstorm, "$(rootpath %s)" % suite]
        update_args.append(native.package_name() + "/" + baseline if native.package_name() else baseline)
        if workers:
            update_args.append(str(workers))
        native.sh_binary(
            name = name + ".update_baseline",
            srcs = [Label("//bazel:heapstorm_update_baseline.sh")],
            args = update_args,
            data = [heapstorm, suite] + scripts,
            tags = ["manual"],
        )
