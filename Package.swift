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
        .library(name: "CohortRPC", targets: ["CohortRPC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // gRPC (CohortRPC only): the core, its NIO HTTP/2 transport with TLS, protobuf messages.
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // cblas.h and lapacke.h from Debian's libopenblas-dev and liblapacke-dev.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]
        ),
        // cpuid, the floating-point control register, thread scheduling and the Gaussian
        // noise kernels: what Swift cannot reach directly, or not fast enough.
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
        // The networked federation: the gRPC contract (generated code in Generated/, from
        // Protos/ by scripts/generate-proto), mutual-TLS transports and the federation PKI.
        .target(
            name: "CohortRPC",
            dependencies: [
                "CohortFederation",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                // The TLS peer-verification callback's types (NIOSSLCertificate, EventLoopPromise).
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
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
                "CohortRPC",
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
            name: "CohortRPCTests",
            dependencies: [
                "CohortRPC", "CohortTestSupport",
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
            ]),
        .testTarget(
            name: "CohortFederationTests",
            dependencies: ["CohortFederation", "CohortLearn", "CohortData", "CohortTensor", "CohortPrivacy", "CohortTestSupport"]),
        // The `cohort` process runner the end-to-end checks share.
        .target(name: "CohortTestSupport", path: "Tests/CohortTestSupport"),
        .testTarget(name: "CohortEndToEndTests", dependencies: ["CohortTestSupport", "CohortLearn"]),
    ],
    swiftLanguageModes: [.v6]
)
