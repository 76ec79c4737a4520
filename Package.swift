// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Cohort",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "cohort", targets: ["cohort"]),
        .executable(name: "cohort-bench", targets: ["cohort-bench"]),
        .library(name: "CohortTensor", targets: ["CohortTensor"]),
        .library(name: "CohortData", targets: ["CohortData"]),
        .library(name: "CohortLearn", targets: ["CohortLearn"]),
        .library(name: "CohortPrivacy", targets: ["CohortPrivacy"]),
        .library(name: "CohortFederation", targets: ["CohortFederation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
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
        .target(name: "CohortPrivacy"),
        .target(
            name: "CohortLearn",
            dependencies: ["CohortTensor", "CohortData", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "CohortFederation",
            dependencies: [
                "CohortTensor", "CohortData", "CohortLearn", "CohortPrivacy",
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(
            name: "cohort",
            dependencies: [
                "CohortTensor",
                "CohortData",
                "CohortLearn",
                "CohortPrivacy",
                "CohortFederation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Release-mode benchmarks (BENCHMARKS.md). The reference calls raw cblas_sgemm on the
        // same buffers, so this target imports CBLAS directly: it measures, it ships nothing.
        .executableTarget(
            name: "cohort-bench",
            dependencies: ["CohortTensor", "CohortData", "CohortLearn", "CohortFederation", "CBLAS"]
        ),
        .testTarget(name: "CohortTensorTests", dependencies: ["CohortTensor"]),
        .testTarget(name: "CohortDataTests", dependencies: ["CohortData"]),
        .testTarget(
            name: "CohortLearnTests", dependencies: ["CohortLearn", "CohortData", "CohortTensor"], exclude: ["Python"]),
        .testTarget(name: "CohortPrivacyTests", dependencies: ["CohortPrivacy"]),
        .testTarget(
            name: "CohortFederationTests",
            dependencies: ["CohortFederation", "CohortLearn", "CohortData", "CohortTensor", "CohortPrivacy"]),
        .testTarget(name: "CohortEndToEndTests", dependencies: []),
    ],
    swiftLanguageModes: [.v6]
)
