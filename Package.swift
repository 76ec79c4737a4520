// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Cohort",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cohort", targets: ["cohort"]),
        .executable(name: "cohort-bench", targets: ["cohort-bench"]),
        .library(name: "CohortTensor", targets: ["CohortTensor"]),
        .library(name: "CohortData", targets: ["CohortData"]),
        .library(name: "CohortLearn", targets: ["CohortLearn"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // cblas.h and lapacke.h from Debian's libopenblas-dev and liblapacke-dev.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // cpuid and the floating-point control register: what Swift cannot reach directly.
        .target(name: "CCohortSupport"),
        .target(
            name: "CohortTensor",
            dependencies: ["CBLAS", "CCohortSupport"]
        ),
        .target(
            name: "CohortData",
            dependencies: ["CohortTensor"]
        ),
        .target(
            name: "CohortLearn",
            dependencies: ["CohortTensor", "CohortData"]
        ),
        .executableTarget(
            name: "cohort",
            dependencies: [
                "CohortTensor",
                "CohortData",
                "CohortLearn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Release-mode benchmarks (BENCHMARKS.md). The reference calls raw cblas_sgemm on the
        // same buffers, so this target imports CBLAS directly: it measures, it ships nothing.
        .executableTarget(
            name: "cohort-bench",
            dependencies: ["CohortTensor", "CBLAS"]
        ),
        .testTarget(name: "CohortTensorTests", dependencies: ["CohortTensor"]),
        .testTarget(name: "CohortDataTests", dependencies: ["CohortData"]),
        .testTarget(name: "CohortLearnTests", dependencies: ["CohortLearn"]),
        .testTarget(name: "CohortEndToEndTests", dependencies: []),
    ],
    swiftLanguageModes: [.v6]
)
